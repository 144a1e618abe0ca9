import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation

/// `litesafe diff`: the SQL that turns one database into another.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Print the SQL that turns database FROM into database TO (staging → production, say).",
        discussion: """
            Data:          litesafe diff staging.db prod.db > migrate.sql
            With schema:   litesafe diff --schema staging.db prod.db -o migrate.sql
            Counts only:   litesafe diff --summary staging.db prod.db
            Apply it with: sqlite3 FROM.db < migrate.sql (one transaction: all of it or none).
            Databases whose schemas or user_version differ are refused with the list of \
            differences (compare versions first); --schema includes the schema changes a diff \
            can make safely (new and dropped tables, indexes, views, triggers; columns added at \
            the end of a table) and still refuses any other. Triggers, views, indexes, \
            user_version and application_id are compared too; a virtual table is changed \
            through itself, never through its shadow tables. Exit status: 0 with no \
            differences, 1 when there are some (or on an error), as diff(1).
            """)

    @Argument(
        help: ArgumentHelp(
            "The database the SQL is applied to: a file, a backup file, or <name>@<time> (or <name>@latest).",
            valueName: "from"))
    var from: String

    @Argument(help: ArgumentHelp("The database it makes FROM equal to (the same kinds).", valueName: "to"))
    var to: String

    @OptionGroup var location: StoreOptions

    @Option(
        name: [.short, .long],
        help: ArgumentHelp("The age identity file that decrypts a backup named above.", valueName: "key-file"))
    var identity: String?

    @Flag(help: "Include the schema changes a diff can express safely.")
    var schema = false

    @Flag(help: "Print inserts, updates and deletes per table instead of SQL.")
    var summary = false

    @Option(
        name: [.short, .customLong("output")],
        help: ArgumentHelp("Write the SQL here (atomically) instead of to standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        let result: DatabaseDiff.Summary
        do {
            let scratch = try TemporaryFolder(label: "litesafe-diff")
            defer { scratch.remove() }
            let from = try DatabaseReference(spec: self.from).resolve(
                location: location, identityFile: identity, scratch: scratch, logger: logger)
            let to = try DatabaseReference(spec: self.to).resolve(
                location: location, identityFile: identity, scratch: scratch, logger: logger)
            if summary {
                result = try DatabaseDiff().write(from: from, to: to, includeSchema: schema) { _ in }
                printSummary(result)
            } else if let output {
                let path = absolute(output)
                let file = try AtomicFile(
                    directory: FileSystem.parent(of: path), finalName: FileSystem.basename(of: path))
                do {
                    result = try DatabaseDiff().write(from: from, to: to, includeSchema: schema) { try file.write($0) }
                    try file.commit()
                } catch {
                    file.abandon()
                    throw error
                }
            } else {
                let stdout = FileHandle.standardOutput
                result = try DatabaseDiff().write(from: from, to: to, includeSchema: schema) { stdout.write(Data($0)) }
            }
        } catch let refused as DatabaseDiff.Refused {
            let hint =
                refused.expressibleWithSchema
                ? "add --schema to include these changes, or bring the schemas to the same version first"
                : "a diff cannot express these changes safely: migrate the schema by hand first, then diff the data"
            throw fail(ValidationErrorText("\(refused)\n\(hint)"))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
        if !result.isEmpty { throw ExitCode(1) }
    }

    private func printSummary(_ result: DatabaseDiff.Summary) {
        for change in result.schemaChanges { print("schema: \(change)") }
        for table in result.tables {
            print("\(table.table): \(table.inserts) inserted, \(table.updates) updated, \(table.deletes) deleted")
        }
        if result.isEmpty { print("no differences") }
    }
}
