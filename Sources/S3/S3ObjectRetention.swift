import Foundation
import HTTP

/// How a new object is stored: its storage class and its Object Lock retention, sent as signed
/// headers on PutObject and CreateMultipartUpload (a part or a completion carries none).
public struct S3WriteSettings: Sendable, Equatable {
    /// `x-amz-storage-class` (`STANDARD_IA`); nil for the bucket's default.
    public var storageClass: String?
    /// `x-amz-object-lock-mode` and `x-amz-object-lock-retain-until-date`; nil for none.
    public var retention: S3Retention?

    public init(storageClass: String? = nil, retention: S3Retention? = nil) {
        self.storageClass = storageClass
        self.retention = retention
    }

    /// No storage class, no retention: the bucket's defaults.
    public static let none = S3WriteSettings()

    var headers: [HTTPHeader] {
        var headers: [HTTPHeader] = []
        if let storageClass { headers.append(HTTPHeader("x-amz-storage-class", storageClass)) }
        if let retention {
            headers.append(HTTPHeader("x-amz-object-lock-mode", retention.mode.rawValue))
            headers.append(
                HTTPHeader("x-amz-object-lock-retain-until-date", S3Retention.timestamp(retention.until)))
        }
        return headers
    }
}

/// An Object Lock retention: until when, and how strictly, an object version cannot be deleted.
public struct S3Retention: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// Who holds `s3:BypassGovernanceRetention` may still delete early (LiteSafe never asks to).
        case governance = "GOVERNANCE"
        /// Nobody deletes before the date.
        case compliance = "COMPLIANCE"
    }

    public var mode: Mode
    public var until: Date

    public init(mode: Mode, until: Date) {
        self.mode = mode
        self.until = until
    }

    /// ISO 8601 in UTC to the second (`2026-12-10T15:20:06Z`), as S3 takes and gives it.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.year!, parts.month!, parts.day!, parts.hour!,
            parts.minute!, parts.second!)
    }

    /// The date in S3's `x-amz-object-lock-retain-until-date` (with or without fractions of a second).
    public static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// What a bucket's Object Lock configuration says (GetObjectLockConfiguration).
public struct S3ObjectLockConfiguration: Sendable, Equatable {
    /// `ObjectLockEnabled` is `Enabled`.
    public var enabled: Bool
    /// The default retention new objects get without headers of their own: mode and period.
    public var defaultMode: String?
    public var defaultDays: Int?
    public var defaultYears: Int?
}

extension S3Client {
    /// The bucket's Object Lock configuration, or nil if it has none (a bucket created without
    /// Object Lock: `ObjectLockConfigurationNotFoundError`).
    public func objectLockConfiguration() throws(S3Error) -> S3ObjectLockConfiguration? {
        let response: HTTPResponse
        do {
            response = try send(
                Request(
                    operation: "GetObjectLockConfiguration", method: "GET", key: nil, query: [.init("object-lock", "")])
            )
        } catch {
            if error.s3Code == "ObjectLockConfigurationNotFoundError" { return nil }
            throw error
        }
        let document = try parse(
            response, operation: "GetObjectLockConfiguration", expecting: "ObjectLockConfiguration")
        let retention = document.first("Rule")?.first("DefaultRetention")
        return S3ObjectLockConfiguration(
            enabled: document["ObjectLockEnabled"] == "Enabled", defaultMode: retention?["Mode"],
            defaultDays: retention?["Days"].flatMap { Int($0) }, defaultYears: retention?["Years"].flatMap { Int($0) })
    }
}
