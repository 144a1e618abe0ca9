import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation
import Logging

/// `litesafe dump`: a logical SQL dump of a live database, from one consistent snapshot.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write a database's schema and rows as SQL, from one consistent snapshot.",
        discussion: """
            Configured:  litesafe dump [--config <file>] <name> [-o <file>]
            Any file:    litesafe dump --database <path> [-o <file>]
            Stored:      litesafe dump [--config <file>] <name> --store
            With --store the dump is compressed and encrypted as the database's backups are, \
            published beside them with a manifest ("kind": "dump"), listed by `litesafe list` \
            (KIND dump), kept by the same retention counted apart from snapshots, and restored \
            with `litesafe restore <name> --dump`.
            Load it with: sqlite3 NEW.db < <file>. Unlike sqlite3 .dump it keeps user_version, \
            application_id and WAL mode, loads under SQLITE_DBCONFIG_DEFENSIVE, and the same \
            content always gives the same bytes. In WAL mode writers go on while it reads; in \
            rollback-journal mode they wait for it (up to their busy timeout).
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp("Dump this database file instead of a configured one.", valueName: "path"))
    var database: String?

    @Argument(help: ArgumentHelp("A configured database's name.", valueName: "name"))
    var name: String?

    @Option(
        name: [.short, .customLong("output")],
        help: ArgumentHelp("Write the dump here (atomically) instead of to standard output.", valueName: "file"))
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(
        name: .customLong("store"),
        help:
            "Store the dump beside the configured database's backups: compressed, encrypted, with a manifest, pruned by its retention."
    )
    var store = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        switch (database, name) {
        case (nil, nil): throw ValidationError("name a configured database, or give --database <path>")
        case (.some, .some): throw ValidationError("give a configured database's name or --database, not both")
        default: break
        }
        if store && database != nil {
            throw ValidationError(
                "--store stores a configured database's dump in its store; name the database instead of --database")
        }
        if store && (output != nil || force) { throw ValidationError("--store goes with neither -o nor --force") }
    }

    func run() throws {
        let logger = try logging.bootstrap()
        if store { return try storeDump(logger: logger) }
        do {
            let (label, path, busyTimeout) = try source()
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationErrorText("there is no database at \(path); check the path")
            }
            let summary: LogicalDump.Summary
            if let output {
                summary = try write(path, busyTimeout: busyTimeout, to: absolute(output))
            } else {
                let stdout = FileHandle.standardOutput
                summary = try LogicalDump().write(databaseAt: path, busyTimeout: busyTimeout) { stdout.write(Data($0)) }
            }
            for warning in summary.warnings { note("litesafe: warning: \(warning)") }
            note(
                "dumped \(label): \(summary.tables) \(summary.tables == 1 ? "table" : "tables"), \(summary.rows) \(summary.rows == 1 ? "row" : "rows"), \(ByteCount(summary.bytes))\(output.map { " to \(absolute($0))" } ?? "")"
            )
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }

    /// Publishes one dump of the configured database in its store, as the daemon's
    /// `dump_schedule` does.
    private func storeDump(logger: Logger) throws {
        let result: BackupResult
        do {
            let configuration = try configFile.load(logger: logger)
            let chosen = try configuration.databases(named: [name ?? ""])[0]
            var job = configuration.backupJob(for: chosen, stores: LiteSafe.stores)
            job.kind = .dump
            result = try BackupEngine(errorWording: .advising, lowersPriority: true).storeDump(job, logger: logger)
        } catch {
            throw fail(error)
        }
        let m = result.backup.manifest
        print(
            "\(m.database): \(result.backup.dataLocation) (dump, \(ByteCount(m.storedSize)) stored, \(ByteCount(m.plaintextSize)) SQL, \(result.duration.milliseconds) ms)"
        )
        if result.pruneError != nil { throw ExitCode(1) }
    }

    /// The database to dump: a configured one by name, or the file `--database` names.
    private func source() throws -> (label: String, path: String, busyTimeout: Duration) {
        if let database { return (absolute(database), absolute(database), .seconds(5)) }
        let configuration = try configFile.load()
        let chosen = try configuration.databases(named: [name ?? ""])[0]
        return ("'\(chosen.name)'", chosen.path, chosen.busyTimeout)
    }

    /// Writes the dump to `path` through a temporary file published only when complete.
    private func write(_ database: String, busyTimeout: Duration, to path: String) throws -> LogicalDump.Summary {
        let folder = FileSystem.parent(of: path)
        if FileSystem.exists(path) && !force {
            throw ValidationErrorText("\(path) exists; choose another name, or add --force to replace it")
        }
        let file = try AtomicFile(directory: folder, finalName: FileSystem.basename(of: path))
        do {
            let summary = try LogicalDump().write(databaseAt: database, busyTimeout: busyTimeout) { try file.write($0) }
            try file.commit(replacing: force)
            return summary
        } catch {
            file.abandon()
            throw error
        }
    }
}
