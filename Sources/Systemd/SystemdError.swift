import Glibc

/// A call into libsystemd that failed, with the operation, the errno text and what to check.
///
/// libsystemd reports failures as negative errno values (sd_notify(3), sd_journal_print(3));
/// this type is the only form in which they leave the `Systemd` module.
public struct SystemdError: Error, Sendable, CustomStringConvertible {
    /// What was attempted, for example `sd_notify(READY=1)`.
    public let operation: String
    /// The `strerror(3)` text of the errno libsystemd returned.
    public let reason: String
    /// What an operator should check, if anything useful can be said.
    public let hint: String?

    /// Wraps a negative errno `result` returned by `operation`.
    init(operation: String, result: Int32, hint: String? = nil) {
        self.operation = operation
        self.reason = String(cString: strerror(-result))
        self.hint = hint
    }

    public var description: String {
        var text = "\(operation) failed: \(reason)"
        if let hint { text += " (\(hint))" }
        return text
    }
}
