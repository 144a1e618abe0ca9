import CZstd

/// A zstd call that failed, with zstd's own reason.
public struct ZstdError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let reason: String

    public var description: String { "zstd \(operation): \(reason)" }

    static func check(_ result: Int, _ operation: String) throws -> Int {
        if ZSTD_isError(result) != 0 {
            throw ZstdError(operation: operation, reason: String(cString: ZSTD_getErrorName(result)))
        }
        return result
    }
}
