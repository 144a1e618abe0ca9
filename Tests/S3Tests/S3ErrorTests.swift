import S3
import Testing

@Suite("S3 error messages")
struct S3ErrorTests {
    @Test("AccessDenied blames the policy, not the secret; a bad signature blames the secret")
    func accessDenied() {
        func message(_ s3Code: String) -> String {
            "\(S3Error(code: .credentialsRejected, operation: "DeleteObject", bucket: "b", key: "k", status: 403, s3Code: s3Code, message: "m", credentialsSource: "/etc/litesafe/s3.credentials"))"
        }
        let denied = message("AccessDenied")
        #expect(denied.contains("S3 denied DeleteObject on bucket b, object k: AccessDenied"), "\(denied)")
        #expect(denied.contains("not allowed to do this: check the bucket's and the user's policy"), "\(denied)")
        #expect(!denied.contains("secret key"), "\(denied)")
        let mismatch = message("SignatureDoesNotMatch")
        #expect(mismatch.contains("check the access key and secret key in /etc/litesafe/s3.credentials"))
    }
}
