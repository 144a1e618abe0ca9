/// The rule for database names, which name folders and files: `[A-Za-z0-9._-]+`, not `.` or `..`.
public enum DatabaseName {
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name != ".", name != "..", name.utf8.count <= 128 else { return false }
        return name.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "." || s == "_"
                || s == "-"
        }
    }

    public static func validate(_ name: String) throws {
        guard isValid(name) else { throw BackupError.invalidName(name) }
    }
}
