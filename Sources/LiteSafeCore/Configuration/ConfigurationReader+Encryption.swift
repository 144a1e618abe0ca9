import Age
import Foundation
import Yams

extension ConfigurationReader {
    /// Reads `encryption`: `none`, or a mapping with `recipients` and/or `recipients_file`.
    ///
    /// Recipients from both are used together. The keys are parsed here, at load, so a typo in a
    /// key fails `check-config` and a reload instead of the next backup.
    func encryption(_ node: Node, at path: String) -> Setting<Encryption> {
        if case .scalar(let scalar) = node, scalar.string == "none", node.null == nil {
            return .set(.none, node)
        }
        guard let fields = fields(of: node, in: .encryption, prefix: path) else {
            error(
                "\(path): expected `none` or a mapping with recipients and/or recipients_file, got \(describe(node))",
                at: node)
            return .invalid
        }
        var recipients: [X25519Recipient] = []
        var valid = true
        if let list = fields[.recipients] {
            if let parsed = recipientList(list, at: fields.path(.recipients)) {
                recipients += parsed
            } else {
                valid = false
            }
        }
        if let file = fields[.recipientsFile] {
            if let parsed = recipientsFile(file, at: fields.path(.recipientsFile)) {
                recipients += parsed
            } else {
                valid = false
            }
        }
        guard valid, !fields.hasUnknownKeys else { return .invalid }
        guard !recipients.isEmpty else {
            error(
                "\(path): no recipients: add recipients: [age1…] or recipients_file: /etc/litesafe/recipients.txt, or write `encryption: none` to store plaintext deliberately",
                at: node)
            return .invalid
        }
        guard recipients.count <= AgeEncryptor.maximumRecipients else {
            // Restores refuse headers with more stanzas (hostile files), so these backups could not be read.
            error(
                "\(path): \(recipients.count) recipients, more than the \(AgeEncryptor.maximumRecipients) a backup may be encrypted to",
                at: node)
            return .invalid
        }
        return .set(.recipients(recipients), node)
    }

    /// Parses each key of `recipients`; a single key may be written without the list brackets.
    private func recipientList(_ node: Node, at path: String) -> [X25519Recipient]? {
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        case .scalar where node.null == nil: items = [node]
        default:
            error("\(path): expected a list of age public keys such as [age1…], got \(describe(node))", at: node)
            return nil
        }
        var recipients: [X25519Recipient] = []
        var valid = true
        for item in items {
            guard let text = text(item, at: path, expected: "an age public key (age1…)") else {
                valid = false
                continue
            }
            do {
                let recipient = try X25519Recipient(parsing: text)
                if let problem = RecipientsFile.exampleKeyProblem([recipient], in: path) {
                    self.error(problem, at: item, fix: .replaceExampleKey)
                    valid = false
                }
                recipients.append(recipient)
            } catch {
                self.error("\(path): \(error)", at: item)
                valid = false
            }
        }
        return valid ? recipients : nil
    }

    /// Reads and parses a recipients file: one key per line, `#` comments, as `age -R` takes.
    private func recipientsFile(_ node: Node, at path: String) -> [X25519Recipient]? {
        guard let file = absolutePath(node, at: path) else { return nil }
        let contents: ConfigurationFile
        switch ConfigurationFile.read(file) {
        case .success(let read): contents = read
        case .failure(let failure):
            error("\(path): \(RecipientsFile.unreadable(file, failure))", at: node)
            return nil
        }
        var valid = true
        if let refusal = RecipientsFile.insecurity(file, contents) {
            error("\(path): \(refusal)", at: node, fix: refusal.fix)
            valid = false
        }
        guard let text = String(data: contents.data, encoding: .utf8) else {
            error("\(path): \(RecipientsFile.notText(file))", at: node)
            return nil
        }
        do {
            // Names the failing line as `file:line`, and rejects a file with no keys at all.
            let recipients = try AgeKeys.parseRecipients(text, source: file)
            if let problem = RecipientsFile.exampleKeyProblem(recipients, in: file) {
                error("\(path): \(problem)", at: node, fix: .replaceExampleKey)
                return nil
            }
            return valid ? recipients : nil
        } catch {
            self.error("\(path): \(error)", at: node)
            return nil
        }
    }
}
