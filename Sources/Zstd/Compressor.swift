import CZstd

/// A streaming zstd compressor: push plaintext in, get frames out through a sink.
///
/// The output is a standard zstd frame with a content checksum, so the stock `zstd -d`
/// reads it.
public final class Compressor {
    private let context: OpaquePointer
    private var output: [UInt8]

    /// Creates a compressor at `level` (1–19); `workers` > 0 compresses on that many
    /// background threads, overlapping compression with whatever the caller does next.
    ///
    /// `jobSize` (bytes, with workers only) bounds each worker's share: zstd buffers a few jobs
    /// per worker, so the default (4 windows, 8 MiB at level 3) costs about 60 MiB with two
    /// workers, and 4 MiB about half that.
    public init(level: Int, workers: Int = 0, jobSize: Int? = nil) throws {
        guard let context = ZSTD_createCCtx() else {
            throw ZstdError(operation: "create context", reason: "out of memory")
        }
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        _ = try ZstdError.check(
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)), "set level \(level)")
        _ = try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enable checksum")
        if workers > 0 {
            // Fails on a libzstd built without threads; single-threaded output is identical in format.
            if ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(workers))) == 0, let jobSize {
                _ = try ZstdError.check(
                    ZSTD_CCtx_setParameter(context, ZSTD_c_jobSize, Int32(clamping: jobSize)), "set job size \(jobSize)"
                )
                // Smaller jobs lose matches across their edges; each job re-reading half a
                // window of the previous one wins them back (the output is then no larger
                // than single-threaded zstd's) for about the same CPU.
                _ = try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_overlapLog, 8), "set overlap")
            }
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input`, handing any finished output to `sink`.
    public func update(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try run(input, directive: ZSTD_e_continue, sink: sink)
    }

    /// Ends the frame and hands the rest of the output to `sink`.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), directive: ZSTD_e_end, sink: sink)
    }

    private func run(
        _ input: UnsafeRawBufferPointer, directive: ZSTD_EndDirective,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        try output.withUnsafeMutableBytes { out in
            while true {
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let remaining = try ZstdError.check(
                    ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive), "compress")
                if outBuffer.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: out[0..<outBuffer.pos])) }
                let inputDone = inBuffer.pos == inBuffer.size
                if directive == ZSTD_e_end ? remaining == 0 : inputDone && outBuffer.pos < out.count {
                    return
                }
            }
        }
    }
}
