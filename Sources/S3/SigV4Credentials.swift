/// An AWS access key pair, with the session token temporary credentials carry.
///
/// The secret and the token never appear in `description`, `debugDescription` or a `dump`: they are
/// replaced by `<redacted>`, so a credentials value can be logged or interpolated into an error safely.
public struct SigV4Credentials: Sendable, Equatable {
    /// The access key id (`AKIA…`): public, it travels in every `Authorization` header.
    public var accessKeyID: String
    /// The secret access key; it signs but is never sent.
    public var secretAccessKey: String
    /// The session token of temporary (STS) credentials, sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

extension SigV4Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "SigV4Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>, sessionToken: "
            + (sessionToken == nil ? "none" : "<redacted>") + ")"
    }

    public var debugDescription: String { description }

    // `dump` and the default printing of values that contain credentials go through the mirror.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKeyID": accessKeyID,
                "secretAccessKey": "<redacted>",
                "sessionToken": sessionToken == nil ? "none" : "<redacted>",
            ])
    }
}
