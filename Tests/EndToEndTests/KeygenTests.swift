import Foundation
import TestTools
import Testing

/// `litesafe keygen`, run as the built binary and checked against the real age 1.1.1 tools.
@Suite("litesafe keygen")
struct KeygenTests {
    /// The recipient printed as "Public key: age1…" on standard error.
    private func printedRecipient(_ result: ProcessResult) -> String? {
        result.errorOutput.split(separator: "\n").first { $0.hasPrefix("Public key: ") }
            .map { String($0.dropFirst("Public key: ".count)) }
    }

    @Test("-o makes a 0600 identity file in age-keygen's exact format")
    func makesPrivateFile() throws {
        let dir = try TemporaryDirectory("litesafe-keygen")
        let key = dir.path + "/key.txt"
        let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
        #expect(made.status == 0, "\(made)")
        #expect(made.output.isEmpty)
        let recipient = try #require(printedRecipient(made), "\(made)")
        #expect(made.errorOutput == "Public key: \(recipient)\n")

        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let text = try String(contentsOfFile: key, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count == 4, "\(text)")
        #expect(lines[3].isEmpty, "the file ends with a newline")
        // Go's time.RFC3339: 2006-01-02T15:04:05Z07:00
        #expect(
            lines[0].wholeMatch(of: /# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)/) != nil, "\(lines[0])")
        #expect(lines[1] == "# public key: \(recipient)")
        #expect(lines[2].wholeMatch(of: /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}/) != nil)
    }

    @Test("the creation time is local time in RFC 3339, as age-keygen writes it")
    func creationTimeUsesLocalOffset() throws {
        let dir = try TemporaryDirectory("litesafe-keygen")
        for zone in ["UTC", "Asia/Kolkata", "America/New_York"] {
            let ours = try Subprocess.run(Subprocess.litesafe, ["keygen"], environment: ["TZ": zone])
            let theirs = try Subprocess.run("age-keygen", [], environment: ["TZ": zone])
            #expect(ours.status == 0 && theirs.status == 0)
            // Same shape (offset suffix) as age-keygen in the same zone; seconds may differ.
            let suffix = { (text: String) in
                String(text.split(separator: "\n")[0].dropFirst("# created: 2006-01-02T15:04:05".count))
            }
            #expect(suffix(ours.output) == suffix(theirs.output), "\(zone): \(ours.output) vs \(theirs.output)")
        }
        _ = dir
    }

    @Test("an existing file is refused, named, and left untouched")
    func refusesExistingFile() throws {
        let dir = try TemporaryDirectory("litesafe-keygen")
        let key = dir.path + "/key.txt"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: key))
        let result = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", key])
        #expect(result.status != 0)
        #expect(result.errorOutput.contains(key), "\(result)")
        #expect(result.errorOutput.contains("already exists"), "\(result)")
        #expect(try String(contentsOfFile: key, encoding: .utf8) == "precious\n")
    }

    @Test("a symlink at the output path is refused, not followed")
    func refusesSymlink() throws {
        let dir = try TemporaryDirectory("litesafe-keygen")
        let target = dir.path + "/target"
        let link = dir.path + "/key.txt"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let result = try Subprocess.run(Subprocess.litesafe, ["keygen", "-o", link])
        #expect(result.status != 0)
        #expect(result.errorOutput.contains(link), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test("without -o the identity goes to stdout and age-keygen -y agrees on the public key")
    func stdoutOutput() throws {
        let made = try Subprocess.run(Subprocess.litesafe, ["keygen"])
        #expect(made.status == 0, "\(made)")
        // stdout is not a terminal here, so (like age-keygen) the public key is also on stderr.
        let recipient = try #require(printedRecipient(made))
        let derived = try Subprocess.run("age-keygen", ["-y"], input: made.stdout)
        #expect(derived.status == 0, "\(derived)")
        #expect(derived.output == recipient + "\n")
    }

    @Test("keygen > FILE warns, as age-keygen does, when the shell made FILE readable by others")
    func warnsAboutAFileOthersCanRead() throws {
        let dir = try TemporaryDirectory("litesafe-keygen")
        for (umask, warns) in [("000", true), ("022", true), ("077", false)] {
            let key = dir.path + "/key-\(umask).txt"
            let made = try Subprocess.run(
                "/bin/sh", ["-c", "umask \(umask); exec \"$0\" keygen > \"$1\"", Subprocess.litesafe, key])
            #expect(made.status == 0, "\(made)")
            #expect(
                made.errorOutput.contains("warning: writing the secret key to a file others can read") == warns,
                "umask \(umask): \(made.errorOutput)")
        }
    }

    @Test("age-keygen -y derives the printed recipient, and age decrypts what age encrypted to it")
    func interoperatesWithAge() throws {
        let dir = try TemporaryDirectory("litesafe-keygen")
        let key = dir.path + "/key.txt"
        let made = try Subprocess.run(Subprocess.litesafe, ["keygen", "--output", key])
        let recipient = try #require(printedRecipient(made), "\(made)")

        let derived = try Subprocess.run("age-keygen", ["-y", key])
        #expect(derived.status == 0, "\(derived)")
        #expect(derived.output == recipient + "\n")

        let plaintext = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let encrypted = try Subprocess.run("age", ["-r", recipient], input: plaintext)
        #expect(encrypted.status == 0, "\(encrypted)")
        let decrypted = try Subprocess.run("age", ["-d", "-i", key], input: encrypted.stdout)
        #expect(decrypted.status == 0, "\(decrypted)")
        #expect(decrypted.stdout == plaintext)
    }
}
