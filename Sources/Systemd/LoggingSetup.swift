import Logging

/// Installs LiteSafe's log handler as the process-wide swift-log backend, once, from `main`.
public enum LoggingSetup {
    /// Bootstraps swift-log for `target`, or for the detected target when `target` is `nil`.
    ///
    /// Asking for `.journal` when journald's socket does not exist falls back to `.console`,
    /// because sd_journal_sendv(3) would accept and drop every entry without an error.
    /// Call it once, before creating any `Logger`: swift-log allows a single bootstrap.
    /// - Parameters:
    ///   - target: `.journal`, `.console`, or `nil` for `--log-target auto`.
    ///   - level: The least severe level logged.
    ///   - identifier: The journal's `SYSLOG_IDENTIFIER`.
    /// - Returns: The target actually in use, for `main` to log at start-up.
    @discardableResult
    public static func bootstrap(
        target: LoggingTarget?,
        level: Logger.Level,
        identifier: String = "litesafe"
    ) -> LoggingTarget {
        let resolved = resolve(target, journalReachable: LoggingTarget.isJournalReachable())
        LoggingSystem.bootstrap(handlerFactory(for: resolved, level: level, identifier: identifier))
        return resolved
    }

    /// The target to use, given the request and whether the journal socket exists.
    static func resolve(_ requested: LoggingTarget?, journalReachable: Bool) -> LoggingTarget {
        let target = requested ?? .detect()
        return target == .journal && !journalReachable ? .console : target
    }

    /// The factory `LoggingSystem.bootstrap` calls for each new `Logger`.
    static func handlerFactory(
        for target: LoggingTarget,
        level: Logger.Level,
        identifier: String
    ) -> @Sendable (String) -> any LogHandler {
        switch target {
        case .journal:
            { label in JournalLogHandler(label: label, identifier: identifier, level: level) }
        case .console:
            { label in ConsoleLogHandler(label: label, level: level) }
        }
    }
}
