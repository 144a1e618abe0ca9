import S3
import Testing

@Suite struct SigV4CredentialsTests {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    let token = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN"

    /// Every way Swift turns a value into text: a log line or an error message uses one of them.
    func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped]
    }

    @Test func secretAndTokenNeverAppearInText() {
        let credentials = SigV4Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: secret, sessionToken: token)
        let signer = SigV4Signer(credentials: credentials, region: "eu-central-1", service: "s3")
        for text in renderings(credentials) + renderings(signer) + renderings([signer])
            + renderings(Optional(credentials) as Any)
        {
            #expect(!text.contains(secret), "\(text)")
            #expect(!text.contains(token), "\(text)")
            #expect(!text.contains("K7MDENG"), "\(text)")
        }
        #expect(String(describing: credentials).contains("AKIDEXAMPLE"))
        #expect(String(describing: credentials).contains("<redacted>"))
    }
}
