import Foundation
import LiteSafeCore

/// `PageObjects` in memory: named byte strings, which a test can damage or remove the way a
/// folder's files can be.
public final class InMemoryPageObjects: PageObjects, @unchecked Sendable {
    // @unchecked: `objects` is only touched under `mutex`.
    private let mutex = NSLock()
    private var objects: [String: [UInt8]] = [:]

    public init() {}

    public func create(_ name: String, bytes: [UInt8]) throws -> Bool {
        mutex.withLock {
            if objects[name] != nil { return false }
            objects[name] = bytes
            return true
        }
    }

    public func read(_ name: String) throws -> [UInt8] {
        guard let bytes = mutex.withLock({ objects[name] }) else {
            throw PageStoreError(.missingObject, object: name, reason: "not in the store")
        }
        return bytes
    }

    public func names(in folder: String) throws -> [String] {
        mutex.withLock {
            objects.keys.compactMap { name in
                let parts = name.split(separator: "/", maxSplits: 1)
                return parts.count == 2 && parts[0] == folder ? String(parts[1]) : nil
            }
        }
    }

    public func delete(_ name: String) throws {
        _ = mutex.withLock { objects.removeValue(forKey: name) }
    }

    /// Replaces an object's bytes, as damage would.
    public func replace(_ name: String, with bytes: [UInt8]) {
        mutex.withLock { objects[name] = bytes }
    }

    /// Every object's stored size, by name.
    public var sizes: [String: Int] { mutex.withLock { objects.mapValues(\.count) } }
}
