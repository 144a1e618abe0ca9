import Foundation

/// `<state_directory>/state.json`: where the daemon keeps a `DaemonState` and `litesafe status`
/// reads it.
///
/// Written whole and atomically (a new file, fsynced, renamed over the old one, folder fsynced),
/// so a reader sees the previous state or the next, never half of one. Mode 0600: it names
/// databases, paths and errors; root (or the service user) reads it.
public struct StateFile: Sendable {
    public let path: String

    public static let fileName = "state.json"

    /// The state file of a daemon whose `state_directory` is `directory`.
    public init(directory: String) {
        path = directory + "/" + Self.fileName
    }

    /// Reads the state; nil when the file does not exist (the daemon never ran with this folder).
    ///
    /// - Throws: `FileSystemError` when it cannot be read, `StateFileError` when it is not a state
    ///   file this version understands.
    public func read() throws -> DaemonState? {
        guard FileSystem.exists(path) else { return nil }
        let bytes = try FileSystem.readSmallFile(path)
        let state: DaemonState
        do {
            state = try Self.decoder.decode(DaemonState.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw StateFileError.unreadable(path: path, reason: error.readable)
        } catch {
            throw StateFileError.unreadable(path: path, reason: "\(error)")
        }
        guard state.version <= DaemonState.currentVersion else {
            throw StateFileError.unreadable(
                path: path,
                reason:
                    "it has format version \(state.version), newer than this litesafe reads (\(DaemonState.currentVersion)); run the litesafe that wrote it"
            )
        }
        return state
    }

    /// Replaces the file with `state`, durably.
    public func write(_ state: DaemonState) throws {
        let data = try Self.encoder.encode(state) + Data("\n".utf8)
        try AtomicFile.replace(
            directory: FileSystem.parent(of: path), name: Self.fileName, bytes: [UInt8](data), mode: 0o600)
    }

    /// Removes the temporary file an interrupted write left (the daemon calls it at start).
    public func removeLeftovers() {
        AtomicFile.removeReplaceLeftovers(directory: FileSystem.parent(of: path), name: Self.fileName)
    }

    /// The encoding of the file and of `litesafe status --json`: snake_case keys, sorted, RFC 3339 times.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .text(BackupName.iso8601Seconds)
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601Text
        return decoder
    }
}

/// A state file that exists but cannot be used.
public enum StateFileError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "\(path) is not a LiteSafe state file: \(reason). The daemon rewrites it after its next backup; remove it to start afresh"
        }
    }
}
