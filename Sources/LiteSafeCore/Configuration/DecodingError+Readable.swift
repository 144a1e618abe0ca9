import Foundation

extension DecodingError {
    /// What is wrong, and in which field, for an operator: `started: '…' is not an ISO 8601 time`
    /// rather than Swift's dump of the error and its context.
    var readable: String {
        func field(_ context: Context, _ last: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (last.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "\(field(context, key)) is missing"
        case .valueNotFound(let type, let context):
            return "\(field(context)) is empty; expected \(type)"
        case .typeMismatch(let type, let context):
            return "\(field(context)) is not \(type)"
        case .dataCorrupted(let context):
            let place = field(context)
            return place.isEmpty ? context.debugDescription : "\(place): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
