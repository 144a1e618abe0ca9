import Age
import ArgumentParser
import Foundation
import LiteSafeCore
import Logging

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up databases now: those in the configuration, or one given on the command line.",
        discussion: """
            Configured:  litesafe backup [--config FILE] [NAME...]
            Ad hoc:      litesafe backup --database PATH --to DIR --recipient age1... [--name NAME]
            Backups go to DIR/NAME/ as NAME-<UTC time>.sqlite.zst.age with a .manifest.json beside each.
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: "Back up this database file instead of the configured ones.")
    var database: String?

    @Option(help: "With --database: the destination folder; backups go to DIR/NAME/.")
    var to: String?

    @Option(
        name: .customLong("recipient"), help: "With --database: an age public key (age1...) to encrypt to. Repeatable.")
    var recipients: [String] = []

    @Option(
        name: .customLong("recipients-file"),
        help: "With --database: a file of age public keys, one per line. Repeatable.")
    var recipientsFiles: [String] = []

    @Flag(
        name: .customLong("no-encryption"), help: "With --database: store plaintext (deliberately; never the default).")
    var noEncryption = false

    @Option(help: "With --database: the backup's name (default: the file name without extension).")
    var name: String?

    @Option(help: "With --database: none or zstd:1..19.")
    var compression: String = "zstd:3"

    @Option(help: "With --database: none, passive, full, restart or truncate (full and beyond block writers).")
    var checkpoint: String = "passive"

    @Option(help: "With --database: where the snapshot is staged (default: DIR/.staging).")
    var staging: String?

    @Argument(help: "Configured databases to back up (default: all).")
    var names: [String] = []

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if database == nil {
            if to != nil || !recipients.isEmpty || !recipientsFiles.isEmpty || name != nil || staging != nil
                || noEncryption
            {
                throw ValidationError(
                    "--to, --recipient, --recipients-file, --name, --staging and --no-encryption go with --database PATH"
                )
            }
        } else {
            if configFile.config != nil || !names.isEmpty {
                throw ValidationError("--database backs up one file; don't combine it with --config or NAMEs")
            }
            if to == nil { throw ValidationError("--database needs --to DIR, the destination folder") }
            if recipients.isEmpty && recipientsFiles.isEmpty && !noEncryption {
                throw ValidationError(
                    "--database needs --recipient age1... or --recipients-file FILE (or --no-encryption to store plaintext deliberately)"
                )
            }
            if noEncryption && !(recipients.isEmpty && recipientsFiles.isEmpty) {
                throw ValidationError("--no-encryption contradicts --recipient/--recipients-file")
            }
        }
    }

    func run() throws {
        let logger = try logging.bootstrap(defaultLevel: .notice)
        let jobs: [BackupJob]
        do {
            jobs = try database != nil ? [adHocJob()] : configuredJobs(logger: logger)
        } catch {
            throw fail(error)
        }
        SQLiteInfo.warnAboutWALResetBug(logger: logger)
        var failures = 0
        for job in jobs {
            do {
                let result = try BackupEngine().backUp(job, logger: logger)
                let m = result.backup.manifest
                print(
                    "\(job.name): \(result.backup.dataLocation) (\(ByteCount(m.storedSize)) stored, \(ByteCount(m.plaintextSize)) database, \(result.duration.milliseconds) ms)"
                )
            } catch {
                failures += 1
                logger.log(
                    .backupFailed, level: .error, "backup of '\(job.name)' failed: \(error)",
                    metadata: [LogKey.database: "\(job.name)", LogKey.error: "\(error)"])
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func adHocJob() throws -> BackupJob {
        guard let database, let to else { throw ValidationError("--database needs --to") }
        let source = absolute(database)
        let jobName = name ?? defaultName(for: source)
        try DatabaseName.validate(jobName)
        guard let compression = Compression(parsing: compression) else {
            throw ValidationError("--compression must be none or zstd:1..19, not '\(self.compression)'")
        }
        guard let checkpoint = CheckpointMode(rawValue: checkpoint) else {
            throw ValidationError(
                "--checkpoint must be one of none, passive, full, restart, truncate; not '\(self.checkpoint)'")
        }
        var keys = try recipients.map { try X25519Recipient(parsing: $0) }
        for file in recipientsFiles { keys += try RecipientsFile.read(absolute(file)) }
        let root = absolute(to)
        return BackupJob(
            name: jobName, sourcePath: source, store: DirectoryStore(root: root),
            stagingDirectory: staging.map(absolute) ?? root + "/.staging", checkpoint: checkpoint,
            compression: compression, encryption: noEncryption ? .none : .recipients(keys))
    }

    private func defaultName(for path: String) -> String {
        let base = FileSystem.basename(of: path)
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        return String(stem.map { DatabaseName.isValid(String($0)) ? $0 : "_" })
    }
}

/// An absolute version of a path given on the command line.
func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
