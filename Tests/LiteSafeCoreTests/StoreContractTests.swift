import LiteSafeCore
import TestSupport
import Testing

/// Every check of `StoreContract` against every store: the directory store LiteSafe ships and
/// the in-memory store the other tests use.
@Suite("The store contract")
struct StoreContractTests {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case directory, memory

        var description: String { rawValue }

        func subject() throws -> any StoreContractSubject {
            switch self {
            case .directory: try DirectoryStoreSubject()
            case .memory: InMemoryStoreSubject()
            }
        }
    }

    @Test(arguments: Kind.allCases, StoreContract.checks)
    func holds(store: Kind, check: StoreContract.Check) throws {
        let subject = try store.subject()
        try check.run(subject)
    }
}
