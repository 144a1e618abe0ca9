import Glibc

/// A fixture set-up step that failed, with the errno text.
struct FixtureError: Error, CustomStringConvertible {
    let description: String

    init(_ operation: String) {
        description = "\(operation): \(String(cString: strerror(errno)))"
    }

    init(message: String) {
        description = message
    }
}

/// Runs `body` with environment variables set (or removed, for `nil`), restoring them afterwards.
///
/// The environment is process-wide, so suites that call this must be `.serialized`.
func withEnvironment<T>(_ variables: [String: String?], _ body: () throws -> T) rethrows -> T {
    let saved = variables.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
    for (name, value) in variables { assign(name, value) }
    defer { for (name, value) in saved { assign(name, value) } }
    return try body()
}

private func assign(_ name: String, _ value: String?) {
    if let value { setenv(name, value, 1) } else { unsetenv(name) }
}
