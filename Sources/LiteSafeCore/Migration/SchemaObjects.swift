import SQLite

/// The schema objects of one attached database (`main` or another schema name), as a diff
/// compares them: SQLite's own tables, statistics and virtual tables' shadow tables left out.
struct SchemaObjects {
    struct Object: Equatable {
        let type: String
        let name: String
        let table: String
        let sql: String
    }

    /// Keyed by "type name".
    private(set) var objects: [String: Object] = [:]
    let userVersion: Int64
    let applicationID: Int64
    /// Whether `sqlite_sequence` (AUTOINCREMENT's counters) exists.
    let hasSequence: Bool

    init(_ connection: Connection, schema: String) throws {
        let shadow = Set(
            try connection.column(
                "SELECT name FROM pragma_table_list WHERE schema = \(SQLLiteral.string(schema)) AND type = 'shadow'"))
        let rows = try connection.prepare(
            "SELECT type, name, tbl_name, sql FROM \(SQLLiteral.identifier(schema)).sqlite_schema WHERE sql IS NOT NULL"
        )
        var sequence = false
        while try rows.step() {
            let object = Object(
                type: rows.text(at: 0) ?? "", name: rows.text(at: 1) ?? "", table: rows.text(at: 2) ?? "",
                sql: rows.text(at: 3) ?? "")
            if object.name == "sqlite_sequence" { sequence = true }
            if object.name.hasPrefix("sqlite_") || shadow.contains(object.name) || shadow.contains(object.table) {
                continue
            }
            objects[object.type + " " + object.name] = object
        }
        hasSequence = sequence
        userVersion = try connection.integer("PRAGMA \(SQLLiteral.identifier(schema)).user_version")
        applicationID = try connection.integer("PRAGMA \(SQLLiteral.identifier(schema)).application_id")
    }

    func objects(ofType type: String) -> [Object] {
        objects.values.filter { $0.type == type }.sorted { $0.name < $1.name }
    }

    func object(_ type: String, _ name: String) -> Object? { objects[type + " " + name] }
}
