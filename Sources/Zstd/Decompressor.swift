import CZstd

/// A streaming zstd decompressor with a bound on the output size.
///
/// The bound stops a decompression bomb (a tiny file that expands without end) before it
/// fills a disk.
public final class Decompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    private let limit: Int64
    private var produced: Int64 = 0
    private var frameComplete = true
    private var sawInput = false

    /// Why decompression stopped.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The output would exceed `limit` bytes.
        case outputLimitExceeded(limit: Int64)
        /// The input ended inside a frame.
        case truncated
        /// zstd rejected the data.
        case corrupt(String)

        public var description: String {
            switch self {
            case .outputLimitExceeded(let limit):
                "the decompressed data would exceed \(limit) bytes (the expected size, the free space at the output, or the configured bound): not written — free space, or suspect a decompression bomb"
            case .truncated: "the zstd data ends in the middle of a frame: the file is truncated; use an older backup"
            case .corrupt(let reason): "the zstd data is corrupt (\(reason)); use an older backup"
            }
        }
    }

    /// Creates a decompressor that refuses to produce more than `limit` bytes.
    public init(limit: Int64 = .max) throws {
        guard let context = ZSTD_createDCtx() else {
            throw ZstdError(operation: "create context", reason: "out of memory")
        }
        self.context = context
        self.limit = limit
        output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        // The stock zstd CLI's default window bound (128 MiB); our frames use far less.
        _ = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27)
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `input`, handing output to `sink`.
    public func update(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard input.count > 0 else { return }
        sawInput = true
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        try output.withUnsafeMutableBytes { out in
            while true {
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let consumedBefore = inBuffer.pos
                let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                if ZSTD_isError(hint) != 0 {
                    throw Failure.corrupt(String(cString: ZSTD_getErrorName(hint)))
                }
                // 0 means a frame ended. A call that made no progress after that returns the
                // header size of a next frame, which is not a truncation.
                if hint == 0 {
                    frameComplete = true
                } else if inBuffer.pos > consumedBefore || outBuffer.pos > 0 {
                    frameComplete = false
                }
                if outBuffer.pos > 0 {
                    produced += Int64(outBuffer.pos)
                    if produced > limit { throw Failure.outputLimitExceeded(limit: limit) }
                    try sink(UnsafeRawBufferPointer(rebasing: out[0..<outBuffer.pos]))
                }
                if inBuffer.pos == inBuffer.size && outBuffer.pos < out.count { return }
            }
        }
    }

    /// Checks that the input ended on a frame boundary.
    public func finish() throws {
        if !sawInput || !frameComplete { throw Failure.truncated }
    }
}
