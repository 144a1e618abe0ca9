import LiteSafeCore
import ObjectStore
import TestSupport
import Testing

/// Every check of `StoreContract` against the S3 store, on a real S3-compatible server (moto)
/// that checks every request's signature.
@Suite("The store contract on S3")
struct S3StoreContractTests {
    @Test(arguments: StoreContract.checks)
    func holds(check: StoreContract.Check) throws {
        try check.run(S3StoreSubject())
    }
}
