import Testing

@testable import Age

/// Error messages are single operator-readable sentences that say what to do.
@Suite struct ErrorTests {
    static let all: [AgeError] = [
        .noIdentityMatched(recipientTypes: ["X25519 ×2"]), .noIdentityMatched(recipientTypes: ["scrypt"]),
        .malformedHeader("x"), .headerMACMismatch, .payloadAuthenticationFailed(offset: 1),
        .payloadTruncated(offset: 2), .trailingData(offset: 3), .emptyFinalChunk(offset: 4),
        .unsupportedRecipientType("ssh-rsa"), .scryptWorkFactorTooHigh(30, max: 22), .scryptMustBeAlone,
        .invalidRecipient("r.txt:3", reason: "bad"), .invalidIdentity(reason: "bad"), .armor("x"), .noRecipients,
    ]

    @Test(arguments: all)
    func descriptionIsOneLine(_ error: AgeError) {
        #expect(!error.description.isEmpty)
        #expect(!error.description.contains("\n"))
    }

    @Test func noMatchNamesWhatTheFileWasFor() {
        let description = AgeError.noIdentityMatched(recipientTypes: ["X25519 ×2"]).description
        #expect(
            description
                == "no identity matches this file: it was encrypted to 2 X25519 recipients; pass the identity file whose public key was configured (age-keygen -y KEY prints it)"
        )
        #expect(
            AgeError.summarize(stanzaTypes: ["X25519", "X25519", "mlkem768x25519"]) == ["X25519 ×2", "mlkem768x25519"])
        #expect(AgeError.noIdentityMatched(recipientTypes: ["scrypt"]).description.contains("passphrase"))
    }

    @Test func offsetsAppearInPayloadErrors() {
        #expect(AgeError.payloadAuthenticationFailed(offset: 65_780).description.contains("byte 65780"))
        #expect(AgeError.payloadTruncated(offset: 123).description.contains("byte 123"))
        #expect(AgeError.trailingData(offset: 456).description.contains("byte 456"))
    }
}
