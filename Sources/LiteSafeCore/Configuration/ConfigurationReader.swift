import Age
import Foundation
import Yams

/// Turns the text of one configuration file into a `Configuration`, collecting every problem.
///
/// Each setting is checked on its own and a bad one never stops the others from being read, so
/// an operator sees and fixes the whole file in one pass. A reader is used once, on one thread.
final class ConfigurationReader {
    let source: String
    private var collected: [ConfigurationProblem] = []
    /// The top-level `stores:` read so far, for `stores:` lists to name.
    var definedStores = DefinedStores()
    /// Where the caller's credentials are, for a store's `credentials:` given as a bare name.
    var credentialsDirectory: String?

    init(source: String) {
        self.source = source
    }

    /// Every problem found so far: whole-file ones first, then in file order, repeats dropped.
    var problems: [ConfigurationProblem] {
        var seen = Set<ConfigurationProblem>()
        let unique = collected.filter { seen.insert($0).inserted }
        // A stable sort: problems at one position keep the order they were found in.
        return unique.enumerated().sorted { left, right in
            let l = (left.element.line ?? 0, left.element.column ?? 0, left.offset)
            let r = (right.element.line ?? 0, right.element.column ?? 0, right.offset)
            return l < r
        }.map(\.element)
    }

    var hasErrors: Bool { collected.contains { $0.severity == .error } }

    func error(_ message: String, at node: Node?, fix: ConfigurationProblem.Fix? = nil) {
        report(.error, message, at: node?.mark.map(Position.init), fix: fix)
    }

    func warning(_ message: String, at node: Node?, fix: ConfigurationProblem.Fix? = nil) {
        report(.warning, message, at: node?.mark.map(Position.init), fix: fix)
    }

    func report(
        _ severity: ConfigurationProblem.Severity, _ message: String, at position: Position?,
        fix: ConfigurationProblem.Fix? = nil
    ) {
        collected.append(
            ConfigurationProblem(
                severity: severity, source: source, line: position?.line, column: position?.column,
                // A secret key pasted into any field must not reach the journal through us.
                message: AgeKeys.redactingSecretKeys(message), fix: fix))
    }

    /// A 1-based line and column, kept apart from the node it came from.
    struct Position {
        var line: Int
        var column: Int

        init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }

        init(_ mark: Mark) {
            self.init(line: mark.line, column: mark.column)
        }
    }

    /// Reads `text`, returning the configuration only when it has no errors.
    func read(_ text: String) -> Configuration? {
        let root: Node?
        do {
            // The basic resolver tags every scalar as a string, which is all this reader uses; the
            // default one runs regular expressions (ICU, a few MiB resident in the daemon) on each.
            root = try Yams.compose(yaml: text, .basic)
        } catch {
            reportSyntaxError(error, in: text)
            return nil
        }
        guard let root else {
            self.error(
                "the file is empty: add at least a `databases:` list (config/litesafe.yml is a documented example)",
                at: nil)
            return nil
        }
        let configuration = readTopLevel(root)
        return hasErrors ? nil : configuration
    }

    /// Reports a YAML syntax error at the position libyaml gives.
    private func reportSyntaxError(_ error: any Error, in text: String) {
        guard let error = error as? YamlError else {
            self.error("invalid YAML: \(error)", at: nil)
            return
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            report(.error, message, at: Position(mark))
        case .reader(let problem, let offset, _, _):
            report(
                .error, "invalid YAML: \(problem)", at: offset.map { Self.position(atCharacterOffset: $0, in: text) })
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            report(
                .error, "key \(keys) appears more than once in the same mapping; keep only one",
                at: Position(context.mark))
        default:
            self.error("invalid YAML: \(error)", at: nil)
        }
    }

    private static func position(atCharacterOffset offset: Int, in text: String) -> Position {
        let prefix = text.prefix(offset)
        let line = prefix.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        let column =
            prefix.split(separator: "\n", omittingEmptySubsequences: false).last.map { $0.unicodeScalars.count } ?? 0
        return Position(line: line, column: column + 1)
    }
}

extension ConfigurationReader {
    /// The recognised keys of one mapping, each with its value.
    struct Fields {
        /// The mapping itself, where problems about missing keys point.
        let node: Node
        /// What messages call this mapping: `defaults`, `databases.app`, `` for the top level.
        var prefix: String
        fileprivate var values: [ConfigurationKey: Node]
        /// True when a key was misspelt or misplaced: then "nothing is set" would be a false alarm.
        fileprivate(set) var hasUnknownKeys = false
        /// The keys that unknown keys here look like typos of; "`key` is missing" would repeat them.
        fileprivate(set) var misspelt: Set<ConfigurationKey> = []

        subscript(key: ConfigurationKey) -> Node? { values[key] }

        /// The dotted name of `key` in this mapping, as messages show it.
        func path(_ key: ConfigurationKey) -> String {
            prefix.isEmpty ? key.rawValue : "\(prefix).\(key.rawValue)"
        }
    }

    /// The keys of `node` allowed in `block`, reporting every other key; nil if it is not a mapping.
    func fields(of node: Node, in block: ConfigurationKey.Block, prefix: String) -> Fields? {
        guard case .mapping(let mapping) = node else { return nil }
        var fields = Fields(node: node, prefix: prefix, values: [:])
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                error("keys must be plain words, got \(describe(key))", at: key)
                fields.hasUnknownKeys = true
                continue
            }
            if let known = ConfigurationKey(rawValue: scalar.string), block.keys.contains(known) {
                fields.values[known] = value
            } else {
                error(ConfigurationKey.unknownKeyMessage(scalar.string, in: block), at: key)
                fields.hasUnknownKeys = true
                if let nearest = ConfigurationKey.nearest(to: scalar.string, in: block) {
                    fields.misspelt.insert(nearest)
                }
            }
        }
        return fields
    }

    /// How a value reads in a message: its text in quotes, or what kind of thing it is.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): node.null != nil && scalar.string.isEmpty ? "an empty value" : "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
