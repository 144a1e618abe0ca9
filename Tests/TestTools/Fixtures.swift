import Foundation
import SQLite

/// Real SQLite databases and writer processes for tests.
public enum Fixtures {
    /// The folder of repository-level test tools (`Tests/tools`).
    public static var toolsFolder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools").path
    }

    /// Creates a database at `path` in `journalMode` with a table of `rows` rows of `rowBytes` random bytes.
    public static func makeDatabase(at path: String, journalMode: String = "wal", rows: Int = 100, rowBytes: Int = 100)
        throws
    {
        let db = try Connection(path: path, options: [.readWrite, .create])
        _ = try db.column("PRAGMA journal_mode=\(journalMode)")
        try db.execute("CREATE TABLE items(id INTEGER PRIMARY KEY, body BLOB NOT NULL); BEGIN")
        let insert = try db.prepare("INSERT INTO items(body) VALUES (?)")
        for _ in 0..<rows {
            try insert.bind((0..<rowBytes).map { _ in UInt8.random(in: 0...255) }, at: 1)
            try insert.step()
            insert.reset()
        }
        try db.execute("COMMIT")
    }

    /// The sum of every balance in a bank database (constant while the writer keeps its invariant).
    public static func bankTotal(_ path: String) throws -> Int64 {
        let db = try Connection(path: path, options: [.readOnly])
        return try db.integer("SELECT sum(balance) FROM accounts")
    }

    /// `PRAGMA integrity_check`'s rows for the database at `path`.
    public static func integrityCheck(_ path: String) throws -> [String] {
        let db = try Connection(path: path, options: [.readOnly])
        return try db.column("PRAGMA integrity_check")
    }

    /// The journal mode stored in the database file's header.
    public static func journalMode(_ path: String) throws -> String {
        try Connection(path: path, options: [.readOnly]).journalMode()
    }

    /// Lower-case hex SHA-256 of a file, as `sha256sum` prints it.
    public static func sha256(_ path: String) throws -> String {
        let result = try Subprocess.run("sha256sum", [path])
        return String(result.output.prefix(64))
    }
}

/// A bank-transfer writer process (`Tests/tools/bank-writer.py`) running against a database.
public final class BankWriter {
    public let process = Process()
    public static let accounts = 100

    /// Starts the writer and waits until its database exists.
    public init(database: String, mode: String, extraArguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: try Subprocess.which("python3"))
        process.arguments =
            [Fixtures.toolsFolder + "/bank-writer.py", database, mode, "--accounts", "\(BankWriter.accounts)"]
            + extraArguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        try process.run()
        let line = pipe.fileHandleForReading.readData(ofLength: 6)
        guard String(decoding: line, as: UTF8.self).hasPrefix("ready") else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: database])
        }
    }

    /// The constant total the writer preserves.
    public static var expectedTotal: Int64 { Int64(accounts) * 1000 }

    /// Stops the writer (SIGTERM, then SIGKILL after five seconds) and waits for it.
    public func stop() {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
