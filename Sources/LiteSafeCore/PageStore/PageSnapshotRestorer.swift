import Age
import Crypto
import Glibc

/// Rebuilds a page snapshot into an open file: opens its index, then each pack
/// it names once, writing every page where its number puts it, checking each page against its
/// ID and the whole file against the database's hashes.
///
/// Memory stays bounded by one pack (a few MiB) and the index, whatever the database's size.
public enum PageSnapshotRestorer {
    /// What a restore wrote: the index, and the hex SHA-256 of page 1 and of pages 2…N as read
    /// back from the file (equal to the index's, or the restore threw).
    public struct Restored: Sendable {
        public let index: PageIndex
        public let firstPageSHA256: String
        public let afterFirstPageSHA256: String
        public var size: Int64 { Int64(index.pageCount) * Int64(index.pageSize) }
    }

    /// Opens a snapshot's stored index (`object` names it in errors).
    public static func openIndex(_ sealed: [UInt8], object: String, identities: [any AgeIdentity]) throws -> PageIndex {
        try PageIndex(encoded: try PageSeal.open(sealed, name: object, identities: identities), object: object)
    }

    /// Restores the snapshot whose stored index is `sealedIndex` (the backup's data file,
    /// `object` in errors) from `objects` into `fd` (an empty file; `path` names it in errors).
    /// A page whose content does not match its ID, or that a missing or damaged pack held,
    /// fails the restore with `PageStoreError` `.damagedPages` naming every such page.
    public static func restore(
        sealedIndex: [UInt8], object indexName: String, from objects: any PageObjects,
        identities: [any AgeIdentity], into fd: Int32, path: String
    ) throws -> Restored {
        let index = try openIndex(sealedIndex, object: indexName, identities: identities)
        let key = try PageKey(named: index.keyName, from: objects, identities: identities)
        let pageSize = index.pageSize
        if ftruncate(fd, off_t(index.pageCount) * off_t(pageSize)) != 0 {
            throw FileSystemError("size", path: path)
        }
        var damaged: [UInt32] = []
        var reasons: [String] = []
        for (packNumber, pack) in index.packs.enumerated() {
            // (slot, page) for every page this pack holds, by slot.
            var wanted: [(slot: UInt32, page: UInt32)] = []
            for run in index.runs where Int(run.pack) == packNumber {
                for offset in 0..<run.count { wanted.append((run.firstSlot + offset, run.firstPage + offset)) }
            }
            wanted.sort { $0.slot < $1.slot }
            let object = PageStoreLayout.pack(pack)
            var next = 0
            do {
                _ = try PackReader.read(
                    try objects.read(object), name: pack, object: object, pageSize: pageSize, identities: identities
                ) { slot, id, page in
                    while next < wanted.count, wanted[next].slot < slot {
                        next += 1
                    }
                    guard next < wanted.count, wanted[next].slot == slot else { return }
                    let matches = key.identity(of: page) == id
                    while next < wanted.count, wanted[next].slot == slot {
                        let number = wanted[next].page
                        if matches {
                            try write(page, at: off_t(number - 1) * off_t(pageSize), fd: fd, path: path)
                        } else {
                            damaged.append(number)
                        }
                        next += 1
                    }
                }
                if next < wanted.count {
                    damaged.append(contentsOf: wanted[next...].map(\.page))
                    reasons.append("\(object) holds fewer pages than the index says")
                }
            } catch let error as PageStoreError where error.code != .storeFailed && error.code != .wrongKey {
                damaged.append(contentsOf: wanted.map(\.page))
                reasons.append(error.description)
            }
        }
        guard damaged.isEmpty else {
            damaged.sort()
            let shown = damaged.prefix(20).map(String.init).joined(separator: ", ")
            let more = damaged.count > 20 ? " and \(damaged.count - 20) more" : ""
            throw PageStoreError(
                .damagedPages, object: indexName,
                reason: "pages \(shown)\(more) of \(index.pageCount) cannot be restored"
                    + (reasons.isEmpty
                        ? ": their content does not match their IDs" : " (\(reasons.joined(separator: "; ")))"),
                pages: damaged)
        }
        let (first, rest) = try hashes(of: index, fd: fd, path: path)
        guard first == index.firstPageSHA256.hexString, rest == index.afterFirstPageSHA256.hexString else {
            throw PageStoreError(
                .damagedObject, object: indexName,
                reason: "the restored database does not hash to the snapshot's hashes")
        }
        return Restored(index: index, firstPageSHA256: first, afterFirstPageSHA256: rest)
    }

    /// Reads the restored file back: the hex SHA-256 of page 1 and of pages 2…N.
    private static func hashes(of index: PageIndex, fd: Int32, path: String) throws -> (String, String) {
        var first = SHA256()
        var rest = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        let total = off_t(index.pageCount) * off_t(index.pageSize)
        while offset < total {
            let want = Int(min(off_t(buffer.count), total - offset))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileSystemError("read back", path: path) }
            buffer.withUnsafeBytes {
                var piece = UnsafeRawBufferPointer(rebasing: $0[0..<n])
                if offset < off_t(index.pageSize) {
                    let head = min(n, index.pageSize - Int(offset))
                    first.update(bufferPointer: UnsafeRawBufferPointer(rebasing: piece[0..<head]))
                    piece = UnsafeRawBufferPointer(rebasing: piece[head...])
                }
                rest.update(bufferPointer: piece)
            }
            offset += off_t(n)
        }
        return (first.finalize().hexString, rest.finalize().hexString)
    }

    private static func write(_ page: UnsafeRawBufferPointer, at offset: off_t, fd: Int32, path: String) throws {
        var done = 0
        while done < page.count {
            let n = pwrite(fd, page.baseAddress! + done, page.count - done, offset + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileSystemError("write", path: path) }
            done += n
        }
    }
}

extension [UInt8] {
    /// Lower-case hex, as `sha256sum` prints a digest.
    var hexString: String { map { String($0 >> 4, radix: 16) + String($0 & 0x0f, radix: 16) }.joined() }
}
