import CPostgres

/// One connection to a PostgreSQL server through Debian's libpq, used from one thread at a
/// time, blocking (the export is a command-line tool's single stream of work).
///
/// The connection string may hold a password: it is never part of an error or a description.
public final class PostgresConnection {
    private let handle: OpaquePointer
    private let pq: LibPQ

    /// Connects with a libpq connection string or URI (`postgres://user@host/db`,
    /// `host=/run/postgresql dbname=app`).
    public init(_ connectionString: String) throws {
        pq = try LibPQ.shared.get()
        let pq = self.pq
        guard let connection = pq.connectdb(connectionString) else {
            throw PostgresError(operation: "connect", message: "libpq could not allocate a connection")
        }
        guard pq.status(connection) == CONNECTION_OK else {
            let message = Self.text(pq.errorMessage(connection))
            pq.finish(connection)
            throw PostgresError(operation: "connect", message: message)
        }
        handle = connection
    }

    deinit { pq.finish(handle) }

    /// The server's version as a number (150018 for 15.18).
    public var serverVersion: Int { Int(pq.serverVersion(handle)) }

    /// Runs one or more statements that return no rows of interest.
    public func execute(_ sql: String) throws {
        _ = try query(sql)
    }

    /// Runs `sql` with text `parameters` ($1, $2, …; nil is NULL) and returns every row as text.
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = pq.exec(handle, sql)
        } else {
            var pointers: [UnsafePointer<CChar>?] = []
            var storage: [[CChar]] = parameters.map { $0.map { Array($0.utf8CString) } ?? [] }
            result = storage.withUnsafeMutableBufferPointer { buffers in
                pointers = parameters.indices.map { i in
                    parameters[i] == nil ? nil : buffers[i].withUnsafeBufferPointer { $0.baseAddress }
                }
                return pq.execParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
            }
            _ = storage
        }
        defer { pq.clear(result) }
        try check(result, sql: sql)
        var rows: [[String?]] = []
        let count = pq.ntuples(result)
        let columns = pq.nfields(result)
        for row in 0..<count {
            rows.append(
                (0..<columns).map { column in
                    pq.getisnull(result, row, column) != 0
                        ? nil : pq.getvalue(result, row, column).map { String(cString: $0) }
                })
        }
        return rows
    }

    /// Runs `COPY … FROM STDIN` and sends what `body` writes (in the format the statement names).
    public func copyIn(_ sql: String, _ body: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
        try startCopy(sql, expecting: PGRES_COPY_IN)
        var failure: (any Error)?
        do {
            try body { bytes in
                let sent = bytes.withUnsafeBytes {
                    pq.putCopyData(handle, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32($0.count))
                }
                if sent != 1 { throw PostgresError(operation: sql, message: Self.text(pq.errorMessage(handle))) }
            }
        } catch {
            failure = error
        }
        // Ending the COPY with an error message makes the server reject it whole.
        _ = pq.putCopyEnd(handle, failure == nil ? nil : "the export stopped")
        try finishCopy(sql, failure: failure)
    }

    /// Runs `COPY … TO STDOUT` and hands `body` each message the server sends (one row each in
    /// PostgreSQL's current servers; `body` must not keep the buffer). An error `body` throws
    /// ends the COPY and is thrown once the server's last result is read.
    public func copyOut(_ sql: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try startCopy(sql, expecting: PGRES_COPY_OUT)
        var failure: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let count = pq.getCopyData(handle, &buffer, 0)
            if count == -1 { break }
            guard count >= 0, let buffer else {
                // -2: the connection failed; libpq has its reason.
                failure = failure ?? PostgresError(operation: sql, message: Self.text(pq.errorMessage(handle)))
                break
            }
            // Once `body` failed the rest is read and dropped: a COPY OUT cannot be stopped
            // from the client short of cancelling it.
            if failure == nil {
                do { try body(UnsafeRawBufferPointer(start: buffer, count: Int(count))) } catch { failure = error }
            }
            pq.freemem(buffer)
        }
        try finishCopy(sql, failure: failure)
    }

    /// Sends a COPY statement and checks that the server entered the COPY state `expected`.
    private func startCopy(_ sql: String, expecting expected: ExecStatusType) throws {
        let start = pq.exec(handle, sql)
        defer { pq.clear(start) }
        guard pq.resultStatus(start) == expected else {
            try check(start, sql: sql)
            throw PostgresError(operation: sql, message: "the server did not start a COPY")
        }
    }

    /// Reads the server's results after a COPY; throws `failure` (ours, first) or its error.
    private func finishCopy(_ sql: String, failure: (any Error)?) throws {
        var serverError: (any Error)?
        while let result = pq.getResult(handle) {
            do { try check(result, sql: sql) } catch { serverError = serverError ?? error }
            pq.clear(result)
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
    }

    private func check(_ result: OpaquePointer?, sql: String) throws {
        switch pq.resultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_COPY_OUT: return
        default:
            throw PostgresError(
                operation: sql, message: Self.text(pq.resultErrorMessage(result)),
                sqlState: pq.resultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) },
                detail: pq.resultErrorField(result, Int32(UInt8(ascii: "D"))).map { String(cString: $0) })
        }
    }

    /// A message from libpq, without the newline it ends with (never used for values).
    static func text(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) }?.trimmingCharactersInNewlines() ?? ""
    }
}

/// A failure reported by libpq or the server, with the server's SQLSTATE when it gave one.
public struct PostgresError: Error, CustomStringConvertible, Equatable {
    /// What was being done (the statement, or "connect").
    public let operation: String
    public let message: String
    /// The SQLSTATE code (`23502` not-null violation, `42P07` duplicate table, …).
    public var sqlState: String?
    public var detail: String?

    public init(operation: String, message: String, sqlState: String? = nil, detail: String? = nil) {
        self.operation = operation
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
    }

    public var description: String {
        let statement = operation.count > 200 ? String(operation.prefix(200)) + "…" : operation
        return "PostgreSQL: \(message)\(detail.map { " (\($0))" } ?? "") [\(statement)]"
    }
}

extension String {
    fileprivate func trimmingCharactersInNewlines() -> String {
        var text = self
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return text
    }
}
