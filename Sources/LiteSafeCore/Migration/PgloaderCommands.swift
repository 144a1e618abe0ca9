import Foundation

extension PostgresExportPlan {
    /// The pgloader command file that loads the same database with this plan's types, for
    /// teams that prefer pgloader: one CAST rule per column (pgloader's own defaults turn REAL
    /// into float4 and drop NOT NULL), with what it still cannot do said in comments after
    /// `header` (the caller's own comment lines: who wrote the file, how to check the load).
    public func pgloaderCommands(database: String, target: String, schema: String, header: [String] = []) -> String {
        var rules: [String] = []
        for table in tables {
            for column in table.stored {
                var rule = "column \(table.name).\(column.name) to \"\(column.type)\" drop typemod"
                if column.notNull { rule += " set not null" }
                if column.type == .boolean { rule += " using tinyint-to-boolean" }
                rules.append(rule)
            }
        }
        var lines = header.map { "-- " + $0 }
        lines += [
            "-- Not loaded by pgloader either way: generated columns, views, triggers.",
            "LOAD DATABASE",
            "     FROM sqlite://\(database)",
            "     INTO \(target)",
            "",
            " WITH include drop, create tables, create indexes, reset sequences, foreign keys",
            "",
            " SET search_path to '\(schema)'",
            "",
            " BEFORE LOAD DO $$ CREATE SCHEMA IF NOT EXISTS \"\(schema)\"; $$",
        ]
        if !rules.isEmpty {
            lines.append("")
            lines.append(" CAST " + rules.joined(separator: ",\n      "))
        }
        lines.append(";")
        return lines.joined(separator: "\n") + "\n"
    }
}
