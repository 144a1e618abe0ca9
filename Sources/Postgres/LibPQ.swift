import CPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// libpq's entry points, found with `dlopen` when the first ``PostgresConnection`` is made.
///
/// Debian's libpq5 needs OpenSSL, Kerberos, LDAP, GnuTLS and more: linked, every `litesafe`
/// process, the daemon too, would map them at start. Opened on demand, only an export pays.
struct LibPQ: @unchecked Sendable {
    typealias Connection = OpaquePointer
    typealias Result = OpaquePointer

    let connectdb: @convention(c) (UnsafePointer<CChar>?) -> Connection?
    let status: @convention(c) (Connection?) -> ConnStatusType
    let errorMessage: @convention(c) (Connection?) -> UnsafeMutablePointer<CChar>?
    let finish: @convention(c) (Connection?) -> Void
    let serverVersion: @convention(c) (Connection?) -> Int32
    let exec: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Result?
    let execParams:
        @convention(c) (
            Connection?, UnsafePointer<CChar>?, Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?,
            UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32
        ) -> Result?
    let clear: @convention(c) (Result?) -> Void
    let resultStatus: @convention(c) (Result?) -> ExecStatusType
    let ntuples: @convention(c) (Result?) -> Int32
    let nfields: @convention(c) (Result?) -> Int32
    let getisnull: @convention(c) (Result?, Int32, Int32) -> Int32
    let getvalue: @convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let putCopyData: @convention(c) (Connection?, UnsafePointer<CChar>?, Int32) -> Int32
    let putCopyEnd: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Int32
    let getCopyData: @convention(c) (Connection?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32) -> Int32
    let freemem: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let getResult: @convention(c) (Connection?) -> Result?
    let resultErrorMessage: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let resultErrorField: @convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?

    /// The library, or why it could not be loaded (a static's initializer runs once).
    static let shared: Swift.Result<LibPQ, PostgresError> = load()

    private static func load() -> Swift.Result<LibPQ, PostgresError> {
        func failure(_ detail: String) -> Swift.Result<LibPQ, PostgresError> {
            .failure(PostgresError(operation: "load libpq", message: detail))
        }
        guard let library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL) else {
            return failure("cannot load libpq.so.5 (Debian package libpq5): \(String(cString: dlerror()))")
        }
        var missing: [String] = []
        func symbol<Function>(_ name: String, as type: Function.Type) -> Function? {
            guard let pointer = dlsym(library, name) else {
                missing.append(name)
                return nil
            }
            return unsafeBitCast(pointer, to: type)
        }
        let loaded = (
            symbol("PQconnectdb", as: (@convention(c) (UnsafePointer<CChar>?) -> Connection?).self),
            symbol("PQstatus", as: (@convention(c) (Connection?) -> ConnStatusType).self),
            symbol("PQerrorMessage", as: (@convention(c) (Connection?) -> UnsafeMutablePointer<CChar>?).self),
            symbol("PQfinish", as: (@convention(c) (Connection?) -> Void).self),
            symbol("PQserverVersion", as: (@convention(c) (Connection?) -> Int32).self),
            symbol("PQexec", as: (@convention(c) (Connection?, UnsafePointer<CChar>?) -> Result?).self)
        )
        let execParams = symbol(
            "PQexecParams",
            as: (@convention(c) (
                Connection?, UnsafePointer<CChar>?, Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?,
                UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32
            ) -> Result?).self)
        let results = (
            symbol("PQclear", as: (@convention(c) (Result?) -> Void).self),
            symbol("PQresultStatus", as: (@convention(c) (Result?) -> ExecStatusType).self),
            symbol("PQntuples", as: (@convention(c) (Result?) -> Int32).self),
            symbol("PQnfields", as: (@convention(c) (Result?) -> Int32).self),
            symbol("PQgetisnull", as: (@convention(c) (Result?, Int32, Int32) -> Int32).self),
            symbol("PQgetvalue", as: (@convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?).self)
        )
        let copy = (
            symbol("PQputCopyData", as: (@convention(c) (Connection?, UnsafePointer<CChar>?, Int32) -> Int32).self),
            symbol("PQputCopyEnd", as: (@convention(c) (Connection?, UnsafePointer<CChar>?) -> Int32).self),
            symbol("PQgetResult", as: (@convention(c) (Connection?) -> Result?).self),
            symbol("PQresultErrorMessage", as: (@convention(c) (Result?) -> UnsafeMutablePointer<CChar>?).self),
            symbol("PQresultErrorField", as: (@convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?).self),
            symbol(
                "PQgetCopyData",
                as: (@convention(c) (Connection?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32) -> Int32)
                    .self),
            symbol("PQfreemem", as: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self)
        )
        guard let connectdb = loaded.0, let status = loaded.1, let errorMessage = loaded.2, let finish = loaded.3,
            let serverVersion = loaded.4, let exec = loaded.5, let execParams, let clear = results.0,
            let resultStatus = results.1, let ntuples = results.2, let nfields = results.3,
            let getisnull = results.4, let getvalue = results.5, let putCopyData = copy.0, let putCopyEnd = copy.1,
            let getResult = copy.2, let resultErrorMessage = copy.3, let resultErrorField = copy.4,
            let getCopyData = copy.5, let freemem = copy.6
        else {
            return failure("libpq.so.5 lacks \(missing.joined(separator: ", "))")
        }
        return .success(
            LibPQ(
                connectdb: connectdb, status: status, errorMessage: errorMessage, finish: finish,
                serverVersion: serverVersion, exec: exec, execParams: execParams, clear: clear,
                resultStatus: resultStatus, ntuples: ntuples, nfields: nfields, getisnull: getisnull,
                getvalue: getvalue, putCopyData: putCopyData, putCopyEnd: putCopyEnd, getCopyData: getCopyData,
                freemem: freemem, getResult: getResult, resultErrorMessage: resultErrorMessage,
                resultErrorField: resultErrorField))
    }
}
