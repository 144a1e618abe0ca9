import Foundation

/// A PostgreSQL column type an export writes, and how a SQLite value must look to go into it
/// unchanged.
public enum PostgresType: Sendable, Equatable, CustomStringConvertible {
    case bigint
    case integer
    case doublePrecision
    case numeric
    case boolean
    case text
    case bytea
    case uuid
    /// A type given with `--type` that LiteSafe does not check itself (date, timestamptz, …):
    /// PostgreSQL parses each text value, and a value it refuses stops the export.
    case other(String)

    public init(_ name: String) {
        switch name.lowercased().trimmingCharacters(in: .whitespaces) {
        case "bigint", "int8": self = .bigint
        case "integer", "int", "int4": self = .integer
        case "double precision", "float8", "double": self = .doublePrecision
        case "numeric", "decimal": self = .numeric
        case "boolean", "bool": self = .boolean
        case "text": self = .text
        case "bytea": self = .bytea
        case "uuid": self = .uuid
        case let other: self = .other(other)
        }
    }

    public var description: String {
        switch self {
        case .bigint: "bigint"
        case .integer: "integer"
        case .doublePrecision: "double precision"
        case .numeric: "numeric"
        case .boolean: "boolean"
        case .text: "text"
        case .bytea: "bytea"
        case .uuid: "uuid"
        case .other(let name): name
        }
    }

    /// The type a column declared `declared` gets, by SQLite's affinity rules
    /// (https://sqlite.org/datatype3.html#determination_of_column_affinity), and why; nil for a
    /// column with no declared type (or STRICT's ANY), whose values decide.
    public static func mapping(declared: String) -> (type: PostgresType, reason: String)? {
        let upper = declared.uppercased()
        if upper.isEmpty || upper == "ANY" { return nil }
        if upper.contains("INT") { return (.bigint, "INTEGER affinity: SQLite integers are 64-bit") }
        if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
            return (.text, "TEXT affinity; a length such as VARCHAR(20) is not enforced by SQLite, so not by text")
        }
        if upper.contains("BLOB") { return (.bytea, "BLOB: bytes as stored") }
        if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
            return (.doublePrecision, "REAL affinity: SQLite reals are 64-bit doubles (real, float4, would round them)")
        }
        if upper.hasPrefix("BOOL") { return (.boolean, "BOOLEAN: SQLite stores 0 and 1") }
        if upper.hasPrefix("UUID") { return (.uuid, "UUID: checked to be UUID text") }
        if upper.contains("DATE") || upper.contains("TIME") {
            return (.text, "dates are text, reals or integers in SQLite: kept as text unless overridden")
        }
        return (.numeric, "NUMERIC affinity: exact decimals")
    }
}
