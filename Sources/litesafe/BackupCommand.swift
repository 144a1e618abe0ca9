import Age
import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up databases now: those in the configuration, or one given on the command line.",
        discussion: """
            The configured databases, or some of them:
              litesafe backup [--config <file>] [<name> ...]
            One database file, without a configuration:
              litesafe backup --database <file> --to <dir> --recipient age1...
            Backups go to <dir>/<name>/ as <name>-<UTC time>.sqlite.zst.age, with a \
            .manifest.json beside each. A database with several stores is backed up once and \
            written to each; a store that fails does not stop the others, but makes the exit status 1.
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp("Back up this database file instead of the configured ones.", valueName: "file"))
    var database: String?

    @Option(
        help: ArgumentHelp(
            "With --database: the destination folder, or a bucket and prefix (s3://bucket/prefix); backups go to <dir>/<name>/.",
            valueName: "dir|url"))
    var to: String?

    @Option(
        name: .customLong("recipient"),
        help: ArgumentHelp(
            "With --database: an age public key (age1...) to encrypt to. Repeatable.", valueName: "recipient"))
    var recipients: [String] = []

    @Option(
        name: .customLong("recipients-file"),
        help: ArgumentHelp("With --database: a file of age public keys, one per line. Repeatable.", valueName: "file"))
    var recipientsFiles: [String] = []

    @Flag(
        name: .customLong("no-encryption"), help: "With --database: store plaintext (deliberately; never the default).")
    var noEncryption = false

    @Option(
        help: ArgumentHelp(
            "With --database: the backup's name (default: the file name without extension).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("With --database: none or zstd:1..19.", valueName: "level"))
    var compression: String = "zstd:3"

    @Option(
        help: ArgumentHelp(
            "With --database: none, passive, full, restart or truncate (full and beyond block writers).",
            valueName: "mode"))
    var checkpoint: String = "passive"

    @Option(
        help: ArgumentHelp(
            "With --database: where the snapshot is staged (default: .staging in the --to folder).", valueName: "dir")
    )
    var staging: String?

    @Option(
        help: ArgumentHelp(
            "With --database: file (a whole file each backup) or pages (only the pages that changed; needs --state).",
            valueName: "format"))
    var format: String = "file"

    @Option(
        help: ArgumentHelp(
            "With --database --format pages: a private local folder for the page key and the last page table.",
            valueName: "dir"))
    var state: String?

    @Argument(help: ArgumentHelp("Configured databases to back up (default: all).", valueName: "name"))
    var names: [String] = []

    @OptionGroup var s3: S3Options

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        // The --database inputs are checked together, in `adHocJob()`, so that all their problems show at once.
        if database == nil
            && (to != nil || !recipients.isEmpty || !recipientsFiles.isEmpty || name != nil || staging != nil
                || noEncryption || s3.isGiven || state != nil || format != "file")
        {
            throw ValidationError(
                "--to, --recipient, --recipients-file, --name, --staging, --format, --state, --no-encryption and the S3 flags go with --database <path>"
            )
        }
    }

    func run() throws {
        let logger = try logging.bootstrap(defaultLevel: .notice)
        let jobs: [BackupJob]
        do {
            jobs = try database != nil ? [adHocJob()] : configuredJobs(logger: logger)
        } catch let problems as CommandLineProblems {
            throw problems
        } catch {
            throw fail(error)
        }
        var failures = 0
        for job in jobs {
            do {
                let result = try BackupEngine(errorWording: .advising, lowersPriority: true).backUp(job, logger: logger)
                let m = result.backup.manifest
                let size = "\(ByteCount(m.storedSize)) stored, \(ByteCount(m.plaintextSize)) database"
                if result.stores.count > 1 {
                    for store in result.stores {
                        if let backup = store.backup {
                            let missed = store.caughtUp.count
                            let caughtUp =
                                missed == 0
                                ? "" : ", and \(missed) older \(missed == 1 ? "backup" : "backups") it had missed"
                            let behind =
                                store.catchUpError == nil
                                ? "" : "; giving it the older backups it lacks FAILED (see the error above)"
                            print("\(job.name): \(store.store): \(backup.dataLocation) (\(size)\(caughtUp))\(behind)")
                        } else {
                            print("\(job.name): \(store.store): FAILED (see the error above)")
                        }
                    }
                } else {
                    print(
                        "\(job.name): \(result.backup.dataLocation) (\(size), \(result.duration.milliseconds) ms)")
                }
                // The stores that got it keep it; the exit status still says one did not, so a
                // cron job or a person running this notices (the daemon retries at the next run).
                if !result.failedStores.isEmpty || result.stores.contains(where: { $0.catchUpError != nil }) {
                    failures += 1
                }
            } catch {
                failures += 1
                let reason = database == nil ? ErrorMessage.describe(error) : Self.describeAdHoc(error)
                logger.log(
                    .backupFailed, level: .error, "backup of '\(job.name)' failed: \(reason)",
                    metadata: [LogKey.database: "\(job.name)", LogKey.error: "\(reason)"])
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// An absolute version of a path given on the command line.
func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
