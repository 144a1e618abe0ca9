import Glibc

/// Where LiteSafe's logs go: native journal entries, or readable lines on standard error.
public enum LoggingTarget: String, Sendable, CaseIterable {
    /// Native entries through sd_journal_sendv(3), see ``JournalLogHandler``.
    case journal
    /// One line per message on standard error, see ``ConsoleLogHandler``.
    case console

    /// The target for this process: `.journal` when standard error is connected to journald.
    ///
    /// systemd sets `JOURNAL_STREAM` to the device and inode of the stream it connected to
    /// standard output and error; systemd.exec(5) advises comparing them with fstat(2) of the
    /// descriptor, because a shell run from the service (or a redirect) inherits the variable
    /// without the connection.
    public static func detect() -> LoggingTarget {
        detect(journalStream: getenv("JOURNAL_STREAM").map { String(cString: $0) }, standardError: STDERR_FILENO)
    }

    /// The target for a `JOURNAL_STREAM` value and the descriptor that should match it.
    static func detect(journalStream: String?, standardError descriptor: Int32) -> LoggingTarget {
        guard let journalStream else { return .console }
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            return .console
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .console }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode ? .journal : .console
    }

    /// Whether journald's native socket exists, so that entries sent to it are not silently lost.
    ///
    /// sd_journal_sendv(3) returns success when the socket is missing (systemd's journal-send.c
    /// treats `ENOENT` as "no journal, nothing to do"), so this is the only way to notice.
    static func isJournalReachable(socketPath: String = "/run/systemd/journal/socket") -> Bool {
        access(socketPath, W_OK) == 0
    }
}
