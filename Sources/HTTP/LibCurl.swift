import CCurl

#if canImport(Glibc)
    import Glibc
#endif

/// libcurl's entry points, found with `dlopen` when the first ``HTTPClient`` is made.
///
/// Debian's libcurl4 needs about 30 shared libraries (OpenSSL, GnuTLS, Kerberos, LDAP, …); mapped at start
/// they cost the daemon about 6 MiB resident even with no S3 store configured (measured: 17.7 → 23.7 MiB
/// idle). Opened on demand, only a daemon that talks HTTP pays.
struct LibCurl: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer

    let easyInit: @convention(c) () -> Handle?
    let easyCleanup: @convention(c) (Handle?) -> Void
    let easyReset: @convention(c) (Handle?) -> Void
    let easyPerform: @convention(c) (Handle?) -> CURLcode
    let easyStrerror: @convention(c) (CURLcode) -> UnsafePointer<CChar>?
    let slistAppend:
        @convention(c) (UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<curl_slist>?
    let slistFreeAll: @convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void
    /// `curl_easy_setopt` and `curl_easy_getinfo`, for the typed wrappers in CCurl's shim.h.
    let setopt: UnsafeMutableRawPointer
    let getinfo: UnsafeMutableRawPointer

    /// The library, or why it could not be loaded; a static's initializer runs once, which also keeps
    /// `curl_global_init` (not safe to race with other threads' first use) to one call.
    static let shared: Result<LibCurl, HTTPError> = load()

    private static func load() -> Result<LibCurl, HTTPError> {
        func failure(_ detail: String) -> Result<LibCurl, HTTPError> {
            .failure(HTTPError(code: .libcurlUnavailable, request: "HTTP client", detail: detail, underlying: nil))
        }
        guard let library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL) else {
            return failure("cannot load libcurl.so.4 (Debian package libcurl4): \(String(cString: dlerror()))")
        }
        var missing: [String] = []
        func symbol<Function>(_ name: String, as type: Function.Type) -> Function? {
            guard let pointer = dlsym(library, name) else {
                missing.append(name)
                return nil
            }
            return unsafeBitCast(pointer, to: type)
        }
        let globalInit = symbol("curl_global_init", as: (@convention(c) (Int) -> CURLcode).self)
        let easyInit = symbol("curl_easy_init", as: (@convention(c) () -> Handle?).self)
        let easyCleanup = symbol("curl_easy_cleanup", as: (@convention(c) (Handle?) -> Void).self)
        let easyReset = symbol("curl_easy_reset", as: (@convention(c) (Handle?) -> Void).self)
        let easyPerform = symbol("curl_easy_perform", as: (@convention(c) (Handle?) -> CURLcode).self)
        let easyStrerror = symbol("curl_easy_strerror", as: (@convention(c) (CURLcode) -> UnsafePointer<CChar>?).self)
        let slistAppend = symbol(
            "curl_slist_append",
            as: (@convention(c) (UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<
                curl_slist
            >?).self)
        let slistFreeAll = symbol(
            "curl_slist_free_all", as: (@convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void).self)
        let setopt = symbol("curl_easy_setopt", as: UnsafeMutableRawPointer.self)
        let getinfo = symbol("curl_easy_getinfo", as: UnsafeMutableRawPointer.self)
        guard let globalInit, let easyInit, let easyCleanup, let easyReset, let easyPerform, let easyStrerror,
            let slistAppend, let slistFreeAll, let setopt, let getinfo
        else {
            return failure("libcurl.so.4 lacks \(missing.joined(separator: ", "))")
        }
        let code = globalInit(Int(CURL_GLOBAL_DEFAULT))
        guard code == CURLE_OK else {
            return failure("curl_global_init failed: \(String(cString: easyStrerror(code)!))")
        }
        return .success(
            LibCurl(
                easyInit: easyInit, easyCleanup: easyCleanup, easyReset: easyReset, easyPerform: easyPerform,
                easyStrerror: easyStrerror, slistAppend: slistAppend, slistFreeAll: slistFreeAll, setopt: setopt,
                getinfo: getinfo))
    }
}
