import Foundation

/// How backup files are named: `<database>-<UTC time to the microsecond>` plus an extension
/// that says how the bytes are wrapped, so names sort chronologically and say how to restore.
///
/// Example: `app-20261126T120003.123456Z.sqlite.zst.age` and its manifest
/// `app-20261126T120003.123456Z.manifest.json`. Two backups in the same microsecond get
/// `_1`, `_2`, … after the time: `_` sorts after `.`, so the second still sorts after the first.
public enum BackupName {
    public static let manifestSuffix = ".manifest.json"

    /// The stem for a backup of `database` taken at `date`.
    public static func stem(database: String, date: Date, collision: Int = 0) -> String {
        let stamp = compactTimestamp(date)
        return collision == 0 ? "\(database)-\(stamp)" : "\(database)-\(stamp)_\(collision)"
    }

    /// The data file extension for a compression and encryption choice.
    public static func dataExtension(compression: Compression, encrypted: Bool) -> String {
        var ext = ".sqlite"
        if case .zstd = compression { ext += ".zst" }
        if encrypted { ext += ".age" }
        return ext
    }

    /// The data file extension of a stored dump: `.sql`, then `.zst` and `.age` as for a snapshot.
    public static func dumpExtension(compression: Compression, encrypted: Bool) -> String {
        ".sql" + dataExtension(compression: compression, encrypted: encrypted).dropFirst(".sqlite".count)
    }

    /// A page snapshot's data file's extension (its encrypted `PageIndex`).
    public static func pagesExtension(encrypted: Bool) -> String { encrypted ? ".pages.age" : ".pages" }

    /// The extensions of a page snapshot's data file.
    static let pagesExtensions = [".pages.age", ".pages"]

    /// Whether `name` ends as a page snapshot's data file does.
    public static func isPagesFile(_ name: String) -> Bool {
        pagesExtensions.contains { name.hasSuffix($0) }
    }

    /// The extensions of data files: snapshots' (`.sqlite…`, `.pages…`), then dumps' (`.sql…`).
    static let snapshotExtensions = [".sqlite.zst.age", ".sqlite.zst", ".sqlite.age", ".sqlite"] + pagesExtensions
    static let dumpExtensions = [".sql.zst.age", ".sql.zst", ".sql.age", ".sql"]

    /// Whether `name` ends as a stored dump's data file does (`.sql`, `.sql.zst`, …).
    public static func isDumpFile(_ name: String) -> Bool {
        dumpExtensions.contains { name.hasSuffix($0) }
    }

    /// The stem of a data file's name: the name without its `.sqlite…` or `.sql…` extension.
    public static func stem(ofDataFile name: String) -> String? {
        for ext in snapshotExtensions + dumpExtensions where name.hasSuffix(ext) {
            return String(name.dropLast(ext.count))
        }
        return nil
    }

    /// Whether `name` is a data file of `database` named after `stem` (`<stem>.sqlite…`, `<stem>.sql…`).
    public static func isDataFile(_ name: String, of database: String, stem: String) -> Bool {
        isDataFile(name, of: database) && self.stem(ofDataFile: name) == stem
    }

    /// The data file `backup`'s manifest names, after checking that it is one of its database's
    /// named after its stem: a crafted manifest (`"file": ".lock"`, `"../x"`) must make a store
    /// read or look at nothing else. `manifestLocation` is how the error names the manifest.
    public static func dataFile(of backup: StoredBackup, manifestLocation: String) throws -> String {
        try DatabaseName.validate(backup.id.database)
        guard isDataFile(backup.manifest.file, of: backup.id.database, stem: backup.id.stem) else {
            throw BackupError.unreadableManifest(
                path: manifestLocation,
                reason:
                    "it names '\(backup.manifest.file.escapingControlCharacters)', which is not one of this store's backup files"
            )
        }
        return backup.manifest.file
    }

    /// Whether `name` names an entry right in a store's folder: not empty, no `/`, not hidden.
    public static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }

    /// Whether `name` is exactly a data file name `stem(database:…)` + `dataExtension(…)`
    /// makes: other files a person leaves in the folder (`app-notes.sqlite.bak`) never match.
    public static func isDataFile(_ name: String, of database: String) -> Bool {
        let prefix = database + "-"
        guard name.hasPrefix(prefix) else { return false }
        var rest = Substring(name.dropFirst(prefix.count))
        // 20261126T120003.123456Z: digits, except at the fixed places of T, '.' and Z.
        let shape = Array("dddddddd" + "T" + "dddddd" + "." + "dddddd" + "Z")
        guard rest.count >= shape.count else { return false }
        for (character, expected) in zip(rest.prefix(shape.count), shape) {
            guard expected == "d" ? character.isASCII && character.isNumber : character == expected else {
                return false
            }
        }
        rest = rest.dropFirst(shape.count)
        if rest.first == "_" {
            let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return false }
            rest = rest.dropFirst(1 + digits.count)
        }
        return (snapshotExtensions + dumpExtensions).contains(String(rest))
    }

    /// `date` cut to whole microseconds, the precision names and manifests keep.
    public static func truncatedToMicroseconds(_ date: Date) -> Date {
        // Defined as a round trip so a manifest read back equals the one written.
        parseISO8601(iso8601(date)) ?? date
    }

    /// `20261126T120003.123456Z`.
    public static func compactTimestamp(_ date: Date) -> String {
        let c = utcComponents(date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02d.%06dZ", c.year, c.month, c.day, c.hour, c.minute, c.second,
            c.micro)
    }

    /// `2026-11-26T12:00:03.123456Z`.
    public static func iso8601(_ date: Date) -> String {
        let c = utcComponents(date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", c.year, c.month, c.day, c.hour, c.minute, c.second,
            c.micro)
    }

    /// `2026-11-26T12:00:03Z`: whole seconds, rounded down.
    public static func iso8601Seconds(_ date: Date) -> String {
        let utc = CivilDate.local(date, in: .utc)
        return utc.dateText + "T" + utc.timeText + "Z"
    }

    /// Parses an ISO 8601 time: `2026-11-26T12:00:03Z`, with an optional fraction of any
    /// precision (kept to the microsecond), a `+01:00` offset instead of `Z`, a space instead of
    /// `T`, or a date alone (`2026-11-26`, midnight UTC).
    public static func parseISO8601(_ text: String) -> Date? {
        let chars = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= chars.count else { return nil }
            var value = 0
            for c in chars[i..<i + digits] {
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            i += digits
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2) else {
            return nil
        }
        var hour = 0
        var minute = 0
        var second = 0
        var micro = 0
        var offset = 0
        if i < chars.count {
            guard expect(84) || expect(32), let h = number(2), expect(58), let m = number(2), expect(58),
                let s = number(2)
            else { return nil }
            (hour, minute, second) = (h, m, s)
            if expect(46) {
                var digits = 0
                while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                    if digits < 6 { micro = micro * 10 + Int(chars[i] - 48) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                if digits < 6 { for _ in digits..<6 { micro *= 10 } }
            }
            if expect(90) {  // Z
            } else if i < chars.count, chars[i] == 43 || chars[i] == 45 {
                let sign = chars[i] == 43 ? 1 : -1
                i += 1
                guard let oh = number(2), expect(58), let om = number(2) else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
            guard i == chars.count else { return nil }
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        guard day <= CivilDate.daysIn(month: month, year: year) else { return nil }
        let midnight = CivilDate.daysSinceEpoch(year: year, month: month, day: day) * 86_400
        let whole = Double(midnight + hour * 3600 + minute * 60 + second - offset)
        return Date(timeIntervalSince1970: whole + Double(micro) / 1_000_000)
    }

    private static func utcComponents(_ date: Date) -> (
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, micro: Int
    ) {
        // Rounded, not floored: a time parsed back from its own text may sit a hair below the
        // microsecond it names, and must print the same text again.
        let totalMicros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (seconds, micro) = totalMicros.quotientAndRemainder(dividingBy: 1_000_000)
        let (wholeSeconds, fraction) = micro < 0 ? (seconds - 1, micro + 1_000_000) : (seconds, micro)
        let c = CivilDate.local(Date(timeIntervalSince1970: Double(wholeSeconds)), in: .utc)
        return (c.year, c.month, c.day, c.hour, c.minute, c.second, Int(fraction))
    }
}

// Times in LiteSafe's JSON go through these rather than Foundation's `.iso8601` strategies, which
// build a Calendar: on Linux that loads the machine's time zone through ICU, whose code and data
// then stay resident in the daemon (several MiB).
extension JSONEncoder.DateEncodingStrategy {
    /// Each time as the text `format` makes of it.
    static func text(_ format: @escaping @Sendable (Date) -> String) -> Self {
        .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
    }
}

extension JSONDecoder.DateDecodingStrategy {
    /// Any time `BackupName.parseISO8601` reads.
    static var iso8601Text: Self {
        .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = BackupName.parseISO8601(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "'\(text)' is not an ISO 8601 time such as 2026-11-26T12:00:03Z")
            }
            return date
        }
    }
}
