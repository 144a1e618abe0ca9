import Foundation
import SQLite
import Zstd

// page-capture-bench DB FOLDER: times a WAL database's snapshot taken two ways, for issue 14's
// decision (not a test: numbers depend on the machine and its load).
//   staging: the online backup into a file in FOLDER, then that file read and compressed;
//   capture: the online backup into PageCapture, each page compressed as SQLite writes it, into
//            a file whose first bytes are a slot for page 1's raw zstd frame, filled last.
// Both compress with zstd -3 on two workers in 4 MiB jobs (as BackupEngine does) and end with
// their output fsynced. It then checks that the stock `zstd -d` of the captured file is the
// staged copy byte for byte. The staging file is the one the page cache must absorb; both
// rounds run twice, alternating.

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: page-capture-bench DB FOLDER\n".utf8))
    exit(2)
}
let databasePath = arguments[1]
let folder = arguments[2]

func seconds(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return String(format: "%.2f s", value)
}

func peakMemoryMiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss / 1024
}

/// An output file written in order, with room at its start for bytes that come last (one
/// thread at a time writes it).
final class OutputFile: @unchecked Sendable {
    let descriptor: Int32
    var offset: Int64 = 0

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
    }

    deinit { close(descriptor) }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try write(bytes, at: offset)
        offset += Int64(bytes.count)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at position: Int64) throws {
        var done = 0
        while done < bytes.count {
            let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, Int(position) + done)
            guard count > 0 else { throw POSIXError(.init(rawValue: errno)!) }
            done += count
        }
    }

    func sync() throws { guard fsync(descriptor) == 0 else { throw POSIXError(.init(rawValue: errno)!) } }
}

@Sendable func makeCompressor() throws -> Compressor { try Compressor(level: 3, workers: 2, jobSize: 4 << 20) }

let clock = ContinuousClock()

/// The staging way: copy into a file, then read and compress it.
func staging(round: Int) throws -> (copy: Duration, check: Duration, compress: Duration, bytes: Int64) {
    let staged = folder + "/staged.db"
    unlink(staged)
    let start = clock.now
    let source = try Connection(path: databasePath, options: [.readWrite])
    let destination = try Connection(path: staged, options: [.readWrite, .create])
    try destination.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF")
    let backup = try OnlineBackup(from: source, to: destination)
    guard try backup.step(pages: -1) == .done else { fatalError("staging copy did not finish") }
    backup.finish()
    let copied = clock.now
    // The staged file is checked on its own (SnapshotCheck), before it is compressed.
    guard try Connection(path: staged, options: [.readOnly]).column("PRAGMA quick_check") == ["ok"] else {
        fatalError("quick_check failed")
    }
    let checked = clock.now
    let input = open(staged, O_RDONLY | O_CLOEXEC)
    defer { close(input) }
    let output = try OutputFile(path: folder + "/staged.zst")
    let compressor = try makeCompressor()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        guard count > 0 else { break }
        try buffer.withUnsafeBytes {
            try compressor.update(UnsafeRawBufferPointer(rebasing: $0[0..<count]), into: output.append)
        }
    }
    try compressor.finish(into: output.append)
    try output.sync()
    return (copied - start, checked - copied, clock.now - checked, output.offset)
}

/// The capture way: pages into the compressor as SQLite writes them, page 1's frame last.
func capture(round: Int, compressing: Bool) throws -> (capture: Duration, check: Duration, bytes: Int64) {
    let start = clock.now
    let source = try Connection(path: databasePath, options: [.readWrite])
    try source.execute("BEGIN")
    _ = try source.integer("SELECT count(*) FROM sqlite_schema")
    let pageSize = Int(try source.integer("PRAGMA page_size"))
    let output = try OutputFile(path: folder + "/captured.zst")
    let slot = [UInt8](repeating: 0, count: RawFrame.size(contentSize: pageSize))
    try slot.withUnsafeBytes { try output.append($0) }
    let compressor = try makeCompressor()
    // Pages gathered into 1 MiB before each compressor call, as the staging round reads.
    var pending: [UInt8] = []
    pending.reserveCapacity(1 << 20)
    let image = try PageCapture().capture(from: source) { _, bytes in
        guard compressing else { return }
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 20 {
            try pending.withUnsafeBytes { try compressor.update($0, into: output.append) }
            pending.removeAll(keepingCapacity: true)
        }
    }
    let captured = clock.now
    // The check reads the same snapshot, in the same read transaction.
    guard try source.column("PRAGMA quick_check") == ["ok"] else { fatalError("quick_check failed") }
    try source.execute("COMMIT")
    let checked = clock.now
    if compressing {
        try pending.withUnsafeBytes { try compressor.update($0, into: output.append) }
        try compressor.finish(into: output.append)
        let frame = image.firstPage.withUnsafeBytes { RawFrame.encode($0) }
        try frame.withUnsafeBytes { try output.write($0, at: 0) }
        try output.sync()
    }
    let finished = clock.now
    return (captured - start + (finished - checked), checked - captured, output.offset)
}

/// Full buffers from the capture thread to the compressing thread, at most `limit` at a time.
final class BufferQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffers: [[UInt8]] = []
    private var closed = false
    let limit = 8

    func put(_ buffer: [UInt8]) {
        condition.lock()
        while buffers.count >= limit { condition.wait() }
        buffers.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func take() -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while buffers.isEmpty && !closed { condition.wait() }
        if buffers.isEmpty { return nil }
        condition.broadcast()
        return buffers.removeFirst()
    }
}

/// The capture way with compression on a thread of its own, so quick_check runs on the source
/// while the compressor drains (the overlap issue 14 suggests).
func overlappedCapture() throws -> (capture: Duration, check: Duration, total: Duration, bytes: Int64) {
    let start = clock.now
    let source = try Connection(path: databasePath, options: [.readWrite])
    try source.execute("BEGIN")
    _ = try source.integer("SELECT count(*) FROM sqlite_schema")
    let pageSize = Int(try source.integer("PRAGMA page_size"))
    let output = try OutputFile(path: folder + "/captured.zst")
    let slot = [UInt8](repeating: 0, count: RawFrame.size(contentSize: pageSize))
    try slot.withUnsafeBytes { try output.append($0) }
    let queue = BufferQueue()
    let compressed = NSCondition()
    nonisolated(unsafe) var compressionDone = false
    nonisolated(unsafe) var compressionError: (any Error)?
    let compressorThread = Thread {
        do {
            let compressor = try makeCompressor()
            while let buffer = queue.take() {
                try buffer.withUnsafeBytes { try compressor.update($0, into: output.append) }
            }
            try compressor.finish(into: output.append)
        } catch { compressionError = error }
        compressed.lock()
        compressionDone = true
        compressed.signal()
        compressed.unlock()
    }
    compressorThread.start()
    var pending: [UInt8] = []
    pending.reserveCapacity(1 << 20)
    let image = try PageCapture().capture(from: source) { _, bytes in
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 20 {
            queue.put(pending)
            pending.removeAll(keepingCapacity: true)
        }
    }
    queue.put(pending)
    queue.close()
    let captured = clock.now
    guard try source.column("PRAGMA quick_check") == ["ok"] else { fatalError("quick_check failed") }
    try source.execute("COMMIT")
    let checked = clock.now
    compressed.lock()
    while !compressionDone { compressed.wait() }
    compressed.unlock()
    if let compressionError { throw compressionError }
    let frame = image.firstPage.withUnsafeBytes { RawFrame.encode($0) }
    try frame.withUnsafeBytes { try output.write($0, at: 0) }
    try output.sync()
    return (captured - start, checked - captured, clock.now - start, output.offset)
}

print("database: \(databasePath), \(try FileManager.default.attributesOfItem(atPath: databasePath)[.size] ?? 0) bytes")
let bare = try capture(round: 0, compressing: false)
print("capture alone (no compression): \(seconds(bare.capture)), quick_check \(seconds(bare.check))")
print("peak memory after the bare capture: \(peakMemoryMiB()) MiB")
for round in 1...2 {
    let captured = try capture(round: round, compressing: true)
    print(
        "round \(round) capture+compress: \(seconds(captured.capture)) (+ quick_check \(seconds(captured.check))), \(captured.bytes) bytes"
    )
    if round == 1 { print("peak memory after a captured backup: \(peakMemoryMiB()) MiB") }
    let overlapped = try overlappedCapture()
    print(
        "round \(round) capture, then quick_check while compression drains: capture \(seconds(overlapped.capture)), quick_check \(seconds(overlapped.check)), total \(seconds(overlapped.total)), \(overlapped.bytes) bytes"
    )
    let staged = try staging(round: round)
    print(
        "round \(round) staging: copy \(seconds(staged.copy)) + read & compress \(seconds(staged.compress)) = \(seconds(staged.copy + staged.compress)) (+ quick_check \(seconds(staged.check))), \(staged.bytes) bytes"
    )
}

// The stock zstd of the captured stream must give the staged copy back, byte for byte.
let decompress = Process()
decompress.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
decompress.arguments = ["-d", "-q", "-f", folder + "/captured.zst", "-o", folder + "/captured.db"]
try decompress.run()
decompress.waitUntilExit()
let compare = Process()
compare.executableURL = URL(fileURLWithPath: "/usr/bin/cmp")
compare.arguments = [folder + "/captured.db", folder + "/staged.db"]
try compare.run()
compare.waitUntilExit()
guard decompress.terminationStatus == 0, compare.terminationStatus == 0 else {
    print("MISMATCH: zstd -d of the captured stream is not the staged copy")
    exit(1)
}
print("zstd -d of the captured stream == the staged copy, byte for byte")
