import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

/// `litesafe export`: copies of a database in other systems.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy a database into another system, checked value by value.",
        subcommands: [ExportPostgresCommand.self])
}

/// `litesafe export postgres`.
struct ExportPostgresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Copy a SQLite database into PostgreSQL with no silent coercion, then verify it.",
        discussion: """
            Export:  litesafe export postgres --database <path> --to postgres://<user>@<host>/<db>
            Check:   litesafe export postgres --database <path> --dry-run
            Compare: litesafe export postgres --database <path> --to <url> --verify-only
            Every value is checked against its column's PostgreSQL type first (the README \
            lists the type map); one that would change on the way is reported (table, column, \
            row, why) and nothing is exported, unless --type TABLE.COLUMN=TYPE says how to \
            store that column. The load is one transaction; row counts and a content checksum \
            of every table are compared before it commits. --verify-only compares an existing \
            copy (pgloader's, say) with the database instead.
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp("The database file to export (or a configured <name>).", valueName: "path|name"))
    var database: String

    @Option(help: ArgumentHelp("The PostgreSQL connection string or URL.", valueName: "url"))
    var to: String?

    @Option(help: ArgumentHelp("The PostgreSQL schema the tables go into.", valueName: "name"))
    var schema = "public"

    @Option(
        name: .customLong("type"),
        help: ArgumentHelp("Store a column as this PostgreSQL type (repeatable).", valueName: "table.column=type"))
    var types: [String] = []

    @Option(
        help: ArgumentHelp(
            "Also write the equivalent pgloader command file, with explicit CAST rules.", valueName: "file"))
    var pgloader: String?

    @Flag(help: "Check every value and print the plan, without connecting to PostgreSQL.")
    var dryRun = false

    @Flag(help: "Compare an existing PostgreSQL copy with the database; export nothing.")
    var verifyOnly = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if dryRun && verifyOnly { throw ValidationError("--dry-run and --verify-only do not go together") }
        if !dryRun && to == nil { throw ValidationError("give --to <url> (or --dry-run to only check the values)") }
        for type in types where !type.contains("=") || !type.split(separator: "=")[0].contains(".") {
            throw ValidationError("--type \(type): write it as table.column=type, e.g. users.id=uuid")
        }
    }

    func run() throws {
        _ = try logging.bootstrap()
        do {
            let path = try resolveDatabase()
            let overrides = Dictionary(
                types.map { spec -> (String, String) in
                    let parts = spec.split(separator: "=", maxSplits: 1)
                    return (String(parts[0]), String(parts[1]))
                }, uniquingKeysWith: { $1 })
            if let pgloader {
                let target = absolute(pgloader)
                let plan = try PostgresExport().plan(database: path, overrides: overrides)
                let file = try AtomicFile(
                    directory: FileSystem.parent(of: target), finalName: FileSystem.basename(of: target))
                do {
                    try file.write(
                        Array(
                            plan.pgloaderCommands(
                                database: path, target: to ?? "postgresql:///DATABASE", schema: schema,
                                header: [
                                    "Written by litesafe export postgres --pgloader: the same type map as litesafe's export.",
                                    "pgloader does not check values: run `litesafe export postgres --verify-only` afterwards;",
                                    "it reports rows pgloader skipped (integers above 2^62-1) and values it changed.",
                                ]
                            ).utf8))
                    try file.commit(replacing: true)
                } catch {
                    file.abandon()
                    throw error
                }
                note("wrote the pgloader command file \(target) (run it with: pgloader \(target))")
            }
            if verifyOnly {
                let differences = try PostgresExport().verify(database: path, against: to ?? "", schema: schema)
                if differences.isEmpty {
                    print("the PostgreSQL copy matches \(path): every table, row and value")
                    return
                }
                print("the PostgreSQL copy differs from \(path):")
                for line in differences { print("  \(line)") }
                throw ExitCode(1)
            }
            let report =
                dryRun
                ? try PostgresExport().dryRun(database: path, schema: schema, overrides: overrides)
                : try PostgresExport().export(database: path, to: to ?? "", schema: schema, overrides: overrides)
            for table in report.plan.tables {
                print("\(table.name): \(report.rows[table.name] ?? 0) rows")
                for column in table.columns {
                    // A type chosen on the command line is named as it was given.
                    let reason = column.override.map { "--type \(table.name).\(column.name)=\($0)" } ?? column.reason
                    print(
                        "  \(column.name) \(column.declared.isEmpty ? "(no type)" : column.declared) → \(column.type): \(reason)"
                    )
                }
            }
            for line in report.notExported { print("not exported: \(line)") }
            print(
                dryRun
                    ? "dry run: every value fits its PostgreSQL column; nothing was exported"
                    : "exported and verified \(report.plan.tables.count) tables into schema \(schema): row counts and content match"
            )
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }

    private func resolveDatabase() throws -> String {
        if database.contains("/") || FileManager.default.fileExists(atPath: database) {
            let path = absolute(database)
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationErrorText("there is no database at \(path); check the path")
            }
            return path
        }
        let configuration = try configFile.load()
        return try configuration.databases(named: [database])[0].path
    }
}
