import Logging

/// The kinds of event LiteSafe logs, each with a stable identifier (the log handlers at the
/// edge send it as the message's id).
///
/// The identifiers never change once released: operators filter on them and
/// `deploy/litesafe.catalog` explains each one.
public enum Event: String, Sendable, CaseIterable {
    case backupStarted
    case backupCompleted
    case backupFailed
    case checkFailed
    case checkpointed
    case writersBlocked
    case reloadSucceeded
    case reloadFailed
    case pruned
    case verifyCompleted
    case verifyFailed
    case daemonStarted
    case daemonStopping
    case leftoverRemoved
    case sqliteWarning
    case plaintextBackup
    case backupRetry
    case pruneFailed
    case scheduledVerifyCompleted
    case scheduledVerifyFailed
    case stateWriteFailed
    case backupCancelled
    case daemonStopped
    case clockStepped
    case storeFailed
    case storeCaughtUp
    case captureFellBack

    /// The 128-bit journald message identifier, as 32 lowercase hex digits.
    public var messageID: String {
        switch self {
        case .backupStarted: "85808122276f3c316ca692a61a36f82e"
        case .backupCompleted: "e52d5c693753c1196b42d673eb28bd35"
        case .backupFailed: "f82ff9b1041de6e818fdba05c9a63033"
        case .checkFailed: "318c190eb27b52d30e00deeb5d69fe75"
        case .checkpointed: "8f44987edfc6847a387476f8130d5e74"
        case .writersBlocked: "4c8a4120c4c39b5325afeada6f4e3fbd"
        case .reloadSucceeded: "430f70e97d5c8b9fa141ba47678a37e8"
        case .reloadFailed: "392d38fd61d6b9d4b74bb86cd69d6714"
        case .pruned: "91f777e73d7daa6538d9892c12eae0c7"
        case .verifyCompleted: "cce66e22ec68feb78fc3b6c2ce5093e9"
        case .verifyFailed: "2fea6b8288194c416cd7ffec4b51fa63"
        case .daemonStarted: "46f34e74845f885841640cd93cee06dd"
        case .daemonStopping: "953f75ebaf55962d77cf10e8fee5de56"
        case .leftoverRemoved: "d6bd53798f3a2017ad830a55037728e6"
        case .sqliteWarning: "b182949c739ed9ad02fbc22ae78d3e02"
        case .plaintextBackup: "7af7fdfcaff4539d71930550efe3f5b5"
        case .backupRetry: "f457c2d2c05df4b5005d157509506903"
        case .pruneFailed: "f50873f05d2e54b4ba0badd1bf4f7c83"
        case .scheduledVerifyCompleted: "02432e9d8e2a4d0cb244b02aaea8e7c1"
        case .scheduledVerifyFailed: "8bf1e8fc1ae64cd9941cc587f8abd11c"
        case .stateWriteFailed: "a8c001466db74d37a73c8eed4cb64424"
        case .backupCancelled: "6771ace21b774dc2837774e8f611273f"
        case .daemonStopped: "9e849db9ef814da2998231b90658d2b5"
        case .clockStepped: "28086edd2c854a199450e16e79c9d4da"
        case .storeFailed: "023cc7f4ec5a4bec9a12afd8e6949a98"
        case .storeCaughtUp: "8fe6f167f246461a9a582f6c23368447"
        case .captureFellBack: "f9b665fe6dda461183f3219c72d1ffe3"
        }
    }
}

/// Logging metadata keys. Each becomes a journald field: `message_id` → `MESSAGE_ID`,
/// every other key `k` → `LITESAFE_` + `k` upper-cased (`database` → `LITESAFE_DATABASE`).
public enum LogKey {
    public static let messageID = "message_id"
    public static let database = "database"
    public static let backup = "backup"
    public static let bytes = "bytes"
    public static let durationMS = "duration_ms"
    public static let error = "error"
    public static let path = "path"
    /// The configured store a message is about (`offsite`), when a database has several.
    public static let store = "store"
    /// "dump" on a stored dump's lines (absent on a snapshot's).
    public static let kind = "kind"
}

extension Logger {
    /// Logs `message` as an `event`, tagging it with the event's stable `MESSAGE_ID`.
    public func log(
        _ event: Event, level: Logger.Level = .info, _ message: @autoclosure () -> Logger.Message,
        metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        var metadata = metadata
        metadata[LogKey.messageID] = .string(event.messageID)
        self.log(level: level, message(), metadata: metadata, file: file, function: function, line: line)
    }
}
