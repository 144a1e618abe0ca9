/// Something a file can be encrypted to: it wraps the file key into one or more stanzas.
public protocol AgeRecipient: Sendable {
    /// Returns the stanzas that let the matching identity recover `fileKey`.
    func wrap(_ fileKey: AgeFileKey) throws -> [AgeStanza]
}

/// Something that can decrypt files: it recovers the file key from the stanzas meant for it.
public protocol AgeIdentity: Sendable {
    /// Returns the file key if a stanza is addressed to this identity, nil if none is, and
    /// throws `AgeError.malformedHeader` (or a more specific case) for a stanza of its own
    /// type that is invalid.
    func unwrap(_ stanzas: [AgeStanza]) throws -> AgeFileKey?
}
