#if DEBUG
    import Foundation
    import LiteSafeCore
    import Logging

    /// Test-only hooks, read from the environment; compiled into debug builds only, so a
    /// release build (`make install`) has neither the variables nor the code behind them.
    ///
    /// `Tests/systemd/scenarios/40-watchdog.sh` uses both to show that a hung backup stops the
    /// watchdog pings and gets the service restarted by systemd:
    /// - `LITESAFE_TEST_HANG_BACKUP=NAME`: every backup of the database NAME blocks forever,
    ///   sleeping in a loop and ignoring cancellation, as a backup stuck in the kernel would;
    /// - `LITESAFE_TEST_BACKUP_DEADLINE=DURATION` (e.g. `2s`): replaces the one-hour deadline
    ///   after which a running backup counts as hung.
    enum TestHooks {
        static let hangVariable = "LITESAFE_TEST_HANG_BACKUP"
        static let deadlineVariable = "LITESAFE_TEST_BACKUP_DEADLINE"

        static var hangingDatabase: String? {
            ProcessInfo.processInfo.environment[hangVariable].flatMap { $0.isEmpty ? nil : $0 }
        }

        static var backupDeadline: Duration? {
            ProcessInfo.processInfo.environment[deadlineVariable].flatMap { try? parseDuration($0) }
        }

        /// Never returns.
        static func hang(_ database: String, logger: Logger) -> Never {
            logger.warning(
                "test hook \(hangVariable): the backup of '\(database)' hangs forever",
                metadata: [LogKey.database: "\(database)"])
            while true { Thread.sleep(forTimeInterval: 1) }
        }
    }
#endif
