#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension SigV4Signer {
    /// `path` URI-encoded once, segment by segment, as S3 signs it and as the URL must carry it.
    public static func encodedPath(_ path: String) -> String {
        path.isEmpty ? "/" : uriEncode(path, keepingSlash: true)
    }

    /// The canonical query string: items URI-encoded, sorted by name then value, joined with `&`.
    public static func encodedQuery(_ items: [SigV4Request.QueryItem]) -> String {
        items.map { (uriEncode($0.name, keepingSlash: false), uriEncode($0.value, keepingSlash: false)) }
            .sorted { a, b in
                a.0 == b.0 ? a.1.utf8.lexicographicallyPrecedes(b.1.utf8) : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// `path` with `.` and `..` segments resolved and empty segments dropped (RFC 3986 section 5.2.4).
    static func normalizedPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        if segments.isEmpty { return "/" }
        let last = path.split(separator: "/", omittingEmptySubsequences: true).last
        let trailingSlash = path.hasSuffix("/") || last == "." || last == ".."
        return "/" + segments.joined(separator: "/") + (trailingSlash ? "/" : "")
    }

    /// Lowercased names sorted, values trimmed with inner runs of spaces collapsed, repeated names joined by
    /// commas in the order given: the canonical header lines (each ending in a newline) and the signed names.
    static func canonicalHeaders(_ headers: [SigV4Request.Header]) -> (lines: String, names: String) {
        var values: [String: [String]] = [:]
        for header in headers {
            values[header.name.lowercased(), default: []].append(canonicalValue(header.value))
        }
        let names = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let lines = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (lines, names.joined(separator: ";"))
    }

    private static func canonicalValue(_ value: String) -> String {
        // Folded lines arrive with their line break; AWS treats every run of whitespace as one space.
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .joined(separator: " ")
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` when asked),
    /// with uppercase hex digits, as SigV4 requires.
    static func uriEncode(_ text: String, keepingSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepingSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The two renderings of the signing time: `20150830T123600Z` and the scope's day `20150830`, in UTC.
struct SigV4Time {
    let timestamp: String
    let day: String

    init(_ date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, dayOfMonth) = Self.civilDate(daysSinceEpoch: days)
        func pad(_ n: Int64, _ width: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        day = pad(year, 4) + pad(month, 2) + pad(dayOfMonth, 2)
        timestamp =
            day + "T" + pad(secondOfDay / 3600, 2) + pad(secondOfDay % 3600 / 60, 2) + pad(secondOfDay % 60, 2) + "Z"
    }

    func scope(_ region: String, _ service: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    // Howard Hinnant's days-from-civil inverse (http://howardhinnant.github.io/date_algorithms.html#civil_from_days),
    // so signing needs neither a calendar nor the C library's gmtime.
    private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
