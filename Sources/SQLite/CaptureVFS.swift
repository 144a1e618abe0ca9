import CSQLite
import Glibc

/// One call SQLite made on a capture's destination file or its VFS, as `PageCapture` records
/// them when asked (to learn, on a given SQLite, how the backup treats its destination).
public enum DestinationCall: Sendable, Equatable {
    case open(flags: Int32)
    case read(offset: Int64, count: Int)
    case write(offset: Int64, count: Int)
    case truncate(size: Int64)
    case sync(flags: Int32)
    /// `xFileSize`, with the size answered.
    case fileSize(Int64)
    case lock(level: Int32)
    case unlock(level: Int32)
    case checkReservedLock
    case fileControl(operation: Int32)
    case sectorSize
    case deviceCharacteristics
    case close
    /// `xAccess` on a name (SQLite looks for a hot journal or a WAL file).
    case access(name: String)
    case delete(name: String)
}

/// The destination of a capture: the one file SQLite opens through the capture VFS. It keeps
/// nothing but page 1 and the size written; every other page goes to the consumer as written.
final class CaptureDestination {
    var sequence = PageSequence()
    /// Receives pages 2…N; set only while the capture runs.
    var consumer: ((Int, UnsafeRawBufferPointer) throws -> Void)?
    /// The first failure, thrown in place of the SQLite error it caused.
    var failure: (any Error)?
    /// The file's size as SQLite sees it: the end of the furthest write.
    var size: Int64 = 0
    var calls: [DestinationCall]?
    var isOpen = false
    /// The default VFS, for what a file system without files still needs (time, randomness).
    let base: UnsafeMutablePointer<sqlite3_vfs>

    init(recordingCalls: Bool, base: UnsafeMutablePointer<sqlite3_vfs>) {
        calls = recordingCalls ? [] : nil
        self.base = base
    }

    func record(_ call: DestinationCall) { calls?.append(call) }

    /// Runs `body`, turning a thrown error into `code` for SQLite and keeping the error.
    func guarded(_ code: Int32, _ body: () throws -> Int32) -> Int32 {
        do { return try body() } catch {
            if failure == nil { failure = error }
            return code
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        // Only the backup writes, and only inside `PageCapture.capture`, which sets the consumer.
        guard let consumer else { preconditionFailure("a capture destination written outside its capture") }
        try sequence.accept(offset: offset, bytes: bytes, deliver: consumer)
        size = max(size, offset + Int64(bytes.count))
    }

    /// Serves a read: page 1 from what was kept, unwritten bytes as a file's hole or end would
    /// read; bytes already handed on cannot be served.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int32 {
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        let end = offset + Int64(buffer.count)
        let pageSize = Int64(sequence.pageSize)
        if let first = sequence.firstPage, end <= pageSize {
            first.withUnsafeBytes { page in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: page[Int(offset)..<Int(end)]))
            }
            return SQLITE_OK
        }
        if offset >= size { return csqlite_ioerr_short_read() }
        // Below the size but never written: only page 1 (before its write) can be such a hole.
        if sequence.firstPage == nil, end <= pageSize { return SQLITE_OK }
        throw PageCaptureError.readBack(offset: offset, count: buffer.count)
    }
}

/// A VFS registered for one capture: its one file is a `CaptureDestination`.
///
/// SQLite allocates `szOsFile` bytes per open file; ours are an `sqlite3_file` followed by an
/// unretained pointer to the destination (which this VFS keeps alive), the usual way a VFS
/// subclasses `sqlite3_file` (https://sqlite.org/c3ref/file.html).
final class CaptureVFS {
    let name: String
    let destination: CaptureDestination
    private let vfs: UnsafeMutablePointer<sqlite3_vfs>
    private let methods: UnsafeMutablePointer<sqlite3_io_methods>
    private let cName: UnsafeMutablePointer<CChar>

    static let contextOffset = MemoryLayout<sqlite3_file>.stride

    init(recordingCalls: Bool) throws {
        guard let base = sqlite3_vfs_find(nil) else {
            throw SQLiteError(code: SQLITE_ERROR, message: "no default VFS", operation: "register capture VFS")
        }
        destination = CaptureDestination(recordingCalls: recordingCalls, base: base)
        name = "litesafe-capture-\(UInt(bitPattern: ObjectIdentifier(destination).hashValue))"
        cName = strdup(name)
        methods = .allocate(capacity: 1)
        methods.initialize(to: Self.ioMethods)
        vfs = .allocate(capacity: 1)
        vfs.initialize(to: Self.vfsTemplate)
        vfs.pointee.szOsFile = Int32(Self.contextOffset + MemoryLayout<UnsafeRawPointer>.stride)
        vfs.pointee.mxPathname = base.pointee.mxPathname
        vfs.pointee.zName = UnsafePointer(cName)
        vfs.pointee.pAppData = Unmanaged.passUnretained(self).toOpaque()
        let rc = sqlite3_vfs_register(vfs, 0)
        // Every property is set, so a throw here still runs deinit, which frees them (and
        // unregistering a VFS that was never registered does nothing).
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, operation: "register capture VFS") }
    }

    deinit {
        sqlite3_vfs_unregister(vfs)
        vfs.deallocate()
        methods.deallocate()
        free(cName)
    }

    var ioMethods: UnsafePointer<sqlite3_io_methods> { UnsafePointer(methods) }

    static func from(_ vfs: UnsafeMutablePointer<sqlite3_vfs>?) -> CaptureVFS {
        Unmanaged<CaptureVFS>.fromOpaque(vfs!.pointee.pAppData).takeUnretainedValue()
    }

    static func destination(_ file: UnsafeMutablePointer<sqlite3_file>?) -> CaptureDestination {
        let slot = UnsafeMutableRawPointer(file!) + contextOffset
        return Unmanaged<CaptureDestination>.fromOpaque(slot.load(as: UnsafeRawPointer.self))
            .takeUnretainedValue()
    }

    // Version 1 methods only: no shared memory (so no WAL) and no memory mapping.
    private static var ioMethods: sqlite3_io_methods {
        sqlite3_io_methods(
            iVersion: 1,
            xClose: { file in
                let destination = CaptureVFS.destination(file)
                destination.record(.close)
                destination.isOpen = false
                return SQLITE_OK
            },
            xRead: { file, buffer, count, offset in
                let destination = CaptureVFS.destination(file)
                destination.record(.read(offset: offset, count: Int(count)))
                return destination.guarded(csqlite_ioerr_read()) {
                    try destination.read(
                        into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(count)), at: offset)
                }
            },
            xWrite: { file, buffer, count, offset in
                let destination = CaptureVFS.destination(file)
                destination.record(.write(offset: offset, count: Int(count)))
                return destination.guarded(csqlite_ioerr_write()) {
                    try destination.write(UnsafeRawBufferPointer(start: buffer, count: Int(count)), at: offset)
                    return SQLITE_OK
                }
            },
            xTruncate: { file, size in
                let destination = CaptureVFS.destination(file)
                destination.record(.truncate(size: size))
                return destination.guarded(csqlite_ioerr_truncate()) {
                    guard size >= destination.size else {
                        throw PageCaptureError.truncated(size: size, written: destination.size)
                    }
                    return SQLITE_OK
                }
            },
            xSync: { file, flags in
                CaptureVFS.destination(file).record(.sync(flags: flags))
                return SQLITE_OK
            },
            xFileSize: { file, size in
                let destination = CaptureVFS.destination(file)
                destination.record(.fileSize(destination.size))
                size?.pointee = destination.size
                return SQLITE_OK
            },
            xLock: { file, level in
                CaptureVFS.destination(file).record(.lock(level: level))
                return SQLITE_OK
            },
            xUnlock: { file, level in
                CaptureVFS.destination(file).record(.unlock(level: level))
                return SQLITE_OK
            },
            xCheckReservedLock: { file, result in
                CaptureVFS.destination(file).record(.checkReservedLock)
                result?.pointee = 0
                return SQLITE_OK
            },
            xFileControl: { file, operation, _ in
                CaptureVFS.destination(file).record(.fileControl(operation: operation))
                return SQLITE_NOTFOUND
            },
            xSectorSize: { file in
                CaptureVFS.destination(file).record(.sectorSize)
                return 4096
            },
            xDeviceCharacteristics: { file in
                CaptureVFS.destination(file).record(.deviceCharacteristics)
                return 0
            },
            xShmMap: nil, xShmLock: nil, xShmBarrier: nil, xShmUnmap: nil, xFetch: nil, xUnfetch: nil)
    }

    private static var vfsTemplate: sqlite3_vfs {
        sqlite3_vfs(
            iVersion: 2, szOsFile: 0, mxPathname: 0, pNext: nil, zName: nil, pAppData: nil,
            xOpen: { vfs, name, file, flags, outFlags in
                let capture = CaptureVFS.from(vfs)
                let destination = capture.destination
                destination.record(.open(flags: flags))
                file!.pointee.pMethods = nil
                // Only the main database: its journal is off, it has no WAL, and nothing else is
                // ever written through this VFS.
                guard flags & SQLITE_OPEN_MAIN_DB != 0, !destination.isOpen else {
                    if destination.failure == nil {
                        let text = name.map { String(cString: $0) } ?? "(temporary)"
                        destination.failure = PageCaptureError.unexpectedFile(name: text, flags: flags)
                    }
                    return SQLITE_CANTOPEN
                }
                let slot = UnsafeMutableRawPointer(file!) + CaptureVFS.contextOffset
                slot.storeBytes(
                    of: UnsafeRawPointer(Unmanaged.passUnretained(destination).toOpaque()), as: UnsafeRawPointer.self)
                file!.pointee.pMethods = capture.ioMethods
                destination.isOpen = true
                outFlags?.pointee = flags
                return SQLITE_OK
            },
            xDelete: { vfs, name, _ in
                CaptureVFS.from(vfs).destination.record(.delete(name: name.map { String(cString: $0) } ?? ""))
                return SQLITE_OK
            },
            xAccess: { vfs, name, _, result in
                CaptureVFS.from(vfs).destination.record(.access(name: name.map { String(cString: $0) } ?? ""))
                result?.pointee = 0
                return SQLITE_OK
            },
            xFullPathname: { _, name, count, out in
                guard let name, let out, count > 0 else { return SQLITE_CANTOPEN }
                let length = strlen(name)
                guard length < Int(count) else { return SQLITE_CANTOPEN }
                memcpy(out, name, length + 1)
                return SQLITE_OK
            },
            xDlOpen: { vfs, name in
                let base = CaptureVFS.from(vfs).destination.base
                return base.pointee.xDlOpen?(base, name)
            },
            xDlError: { vfs, count, message in
                let base = CaptureVFS.from(vfs).destination.base
                base.pointee.xDlError?(base, count, message)
            },
            xDlSym: { vfs, handle, symbol in
                let base = CaptureVFS.from(vfs).destination.base
                return base.pointee.xDlSym?(base, handle, symbol)
            },
            xDlClose: { vfs, handle in
                let base = CaptureVFS.from(vfs).destination.base
                base.pointee.xDlClose?(base, handle)
            },
            xRandomness: { vfs, count, out in
                let base = CaptureVFS.from(vfs).destination.base
                return base.pointee.xRandomness?(base, count, out) ?? SQLITE_ERROR
            },
            xSleep: { vfs, microseconds in
                let base = CaptureVFS.from(vfs).destination.base
                return base.pointee.xSleep?(base, microseconds) ?? 0
            },
            xCurrentTime: { vfs, now in
                let base = CaptureVFS.from(vfs).destination.base
                return base.pointee.xCurrentTime?(base, now) ?? SQLITE_ERROR
            },
            xGetLastError: { vfs, count, message in
                let base = CaptureVFS.from(vfs).destination.base
                return base.pointee.xGetLastError?(base, count, message) ?? 0
            },
            xCurrentTimeInt64: { vfs, now in
                let base = CaptureVFS.from(vfs).destination.base
                return base.pointee.xCurrentTimeInt64?(base, now) ?? SQLITE_ERROR
            },
            xSetSystemCall: nil, xGetSystemCall: nil, xNextSystemCall: nil)
    }
}
