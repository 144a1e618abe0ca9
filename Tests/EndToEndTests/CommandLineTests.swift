import Foundation
import TestTools
import Testing

/// What every subcommand shares: one error style, exit 64 for usage errors and 1 for failures,
/// help an operator can copy from, and no notices nobody asked for.
@Suite("the command line: errors, exit codes, help")
struct CommandLineTests {
    @Test("litesafe with no subcommand prints the help to standard error and exits 64")
    func noSubcommand() throws {
        let result = try Subprocess.run(Subprocess.litesafe, [])
        #expect(result.status == 64, "\(result)")
        #expect(result.output == "")
        #expect(result.errorOutput.contains("SUBCOMMANDS:"))
        #expect(result.errorOutput.contains("restore"))
    }

    @Test("a bad --at is a usage error of restore: litesafe: error:, restore's usage, exit 64")
    func badAt() throws {
        let w = try StoreWorld()
        let result = try w.litesafe(["restore", "--from", w.backups, "app", "--at", "yesterday", "-o", "out.db"])
        #expect(result.status == 64, "\(result)")
        #expect(result.errorOutput.hasPrefix("litesafe: error: --at 'yesterday' is not an ISO 8601 time"))
        #expect(result.errorOutput.contains("Usage: litesafe restore "), "\(result)")
    }

    @Test(
        "usage errors found by the parser and by a subcommand look alike and exit 64",
        arguments: [
            ["list", "--frm", "x"], ["list", "--log-target", "syslog"], ["backup", "--to", "x"],
            ["restore", "some/file.sqlite.zst.age", "--at", "2026-11-26", "-o", "out.db"],
        ])
    func usageErrors(arguments: [String]) throws {
        let result = try Subprocess.run(Subprocess.litesafe, arguments)
        #expect(result.status == 64, "\(result)")
        #expect(result.errorOutput.hasPrefix("litesafe: error: "), "\(result)")
        #expect(result.errorOutput.contains("Usage: litesafe \(arguments[0]) "), "\(result)")
        #expect(!result.errorOutput.contains("Error: "), "\(result)")
    }

    @Test("a failure says litesafe: error: once, without a usage, and exits 1")
    func failure() throws {
        let w = try StoreWorld()
        let result = try w.litesafe(["list", "--from", w.dir.path + "/nowhere"])
        #expect(result.status == 1, "\(result)")
        #expect(result.errorOutput.hasPrefix("litesafe: error: "), "\(result)")
        #expect(!result.errorOutput.contains("Usage:"), "\(result)")
    }

    @Test("ad-hoc backup reports every problem at once, before creating anything")
    func adHocProblems() throws {
        let w = try StoreWorld()
        let result = try w.litesafe([
            "backup", "--database", w.dir.path + "/data/typo.db", "--to", w.dir.path + "/nowhere", "--recipient",
            "age1notakey", "--compression", "zstd:99", "--checkpoint", "sometimes", "--name", "no spaces",
        ])
        #expect(result.status == 64, "\(result)")
        for problem in [
            "--database \(w.dir.path)/data/typo.db does not exist", "--to \(w.dir.path)/nowhere is not a folder",
            "--recipient 'age1notakey'", "--compression must be", "--checkpoint must be", "--name 'no spaces'",
        ] {
            #expect(result.errorOutput.contains("litesafe: error: \(problem)"), "\(problem): \(result)")
        }
        #expect(!result.errorOutput.contains("configuration"), "\(result)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.backups) == [])
        #expect(!FileManager.default.fileExists(atPath: w.dir.path + "/nowhere"))
    }

    @Test("the WAL-reset notice is check-config's and the daemon's, not every one-shot command's")
    func walResetNotice() throws {
        let w = try StoreWorld()
        let check = try w.litesafe(["check-config", "--config", w.config])
        #expect(check.status == 0, "\(check)")
        // "litesafe 1.2.3 (SQLite 3.40.1)"; SQLite before 3.51.3 has the bug (SQLiteInfo.hasWALResetBug).
        let version = try w.litesafe(["--version"]).output.components(separatedBy: "SQLite ").last ?? ""
        let hasBug = version.prefix { $0 != ")" }.split(separator: ".").compactMap { Int($0) }
            .lexicographicallyPrecedes([3, 51, 3])
        #expect(check.errorOutput.contains("WAL-reset bug") == hasBug, "\(check)")
        let backup = try w.litesafe([
            "backup", "--database", w.dir.path + "/data/app.db", "--to", w.backups, "--recipient", w.recipient,
        ])
        #expect(backup.status == 0, "\(backup)")
        #expect(!backup.errorOutput.contains("WAL-reset"), "\(backup)")
        let configured = try w.litesafe(["backup", "--config", w.config])
        #expect(configured.status == 0, "\(configured)")
        #expect(!configured.errorOutput.contains("WAL-reset"), "\(configured)")
    }

    @Test(
        "help shows usage examples whole and placeholders as <file>, <dir>",
        arguments: ["backup", "list", "restore", "verify", "prune", "status", "check-config", "run"])
    func help(subcommand: String) throws {
        let result = try Subprocess.run(Subprocess.litesafe, [subcommand, "--help"], environment: ["COLUMNS": "80"])
        #expect(result.status == 0, "\(result)")
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for line in lines where line.hasPrefix("  litesafe ") {
            // An example is one command, or continues after a trailing backslash; never cut mid-option.
            #expect(line.count <= 80, "\(line)")
        }
        for (index, line) in lines.enumerated() where line.hasPrefix("  litesafe ") && line.hasSuffix("\\") {
            #expect(lines[index + 1].hasPrefix("    "), "a continued example goes on indented: \(lines[index + 1])")
        }
        // Not FILE or DIR (but $TMPDIR is an environment variable's name).
        let shouting = /(?:^|[^$\w])(FILE|DIR|OUT|KEY|NAME|PATH|LINE|COLUMN|MESSAGE)\b/.anchorsMatchLineEndings()
        #expect(!result.output.contains(shouting), "\(subcommand) --help: \(result.output)")
    }

    @Test("each example in the help is one unbroken line")
    func examplesUnbroken() throws {
        let restore = try Subprocess.run(Subprocess.litesafe, ["restore", "--help"], environment: ["COLUMNS": "80"])
        #expect(
            restore.output.contains("\n  litesafe restore [--config <file>] <name> --identity <key-file> -o <out>\n"))
        #expect(restore.output.contains("\n  litesafe restore <file>.sqlite.zst.age --identity <key-file> -o <out>\n"))
        let backup = try Subprocess.run(Subprocess.litesafe, ["backup", "--help"], environment: ["COLUMNS": "80"])
        #expect(backup.output.contains("\n  litesafe backup --database <file> --to <dir> --recipient age1...\n"))
    }
}
