import Foundation

/// A throw-away PostgreSQL 15 server for one test: `initdb` as the `postgres` user in a
/// private folder, listening only on a Unix socket there (no TCP port to clash with the
/// host's), stopped and removed when the value is released.
public final class PostgresServer: @unchecked Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    public let folder: String
    /// A libpq connection string for the `postgres` database, as the `postgres` user.
    public var connectionString: String { "host=\(folder) port=5432 user=postgres dbname=postgres" }

    public init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaries + "/initdb") else {
            throw PostgresServerError("PostgreSQL 15 is not installed (make deps installs postgresql-15)")
        }
        var template = Array("/tmp/litesafe-pg.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PostgresServerError("mkdtemp failed (errno \(errno))") }
        folder = String(cString: made)
        try Self.run("chown", ["postgres:postgres", folder])
        try Self.asPostgres(
            Self.binaries + "/initdb", ["-D", folder + "/data", "-A", "trust", "-U", "postgres", "--no-sync"])
        try Self.asPostgres(
            Self.binaries + "/pg_ctl",
            [
                "-D", folder + "/data", "-w", "-t", "60", "-l", folder + "/server.log", "-o",
                "-k \(folder) -c listen_addresses='' -c fsync=off", "start",
            ])
    }

    deinit {
        _ = try? Self.asPostgres(Self.binaries + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs SQL with psql and returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let result = try Subprocess.run(
            "psql",
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", folder, "-U", "postgres", "-d", database, "-c",
                sql,
            ])
        guard result.status == 0 else { throw PostgresServerError("psql failed: \(result)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `program` as the `postgres` user with no descriptor but 0–2: the server that
    /// `pg_ctl start` leaves running would otherwise inherit the one Foundation's `Process`
    /// watches for the child's exit, and `waitUntilExit()` would wait for the server.
    private static func asPostgres(_ program: String, _ arguments: [String]) throws {
        let closeAndExec = "import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])"
        try run("python3", ["-c", closeAndExec, "runuser", "-u", "postgres", "--", program] + arguments)
    }

    private static func run(_ program: String, _ arguments: [String]) throws {
        let result = try Subprocess.run(program, arguments)
        guard result.status == 0 else { throw PostgresServerError("\(program) failed: \(result)") }
    }
}

public struct PostgresServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
