import Foundation

/// What a finished child process printed and how it exited.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public let status: Int32
    public let stdout: Data
    public let stderr: Data
    public var output: String { String(decoding: stdout, as: UTF8.self) }
    public var errorOutput: String { String(decoding: stderr, as: UTF8.self) }
    public var description: String { "exit \(status)\nstdout: \(output)\nstderr: \(errorOutput)" }
}

/// Runs real programs (the built `litesafe`, `age`, `zstd`, `sqlite3`) for tests.
public enum Subprocess {
    /// Runs `executable` with `arguments`, feeding `input` to its standard input, and waits for it.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], input: Data? = nil,
        environment: [String: String]? = nil, currentDirectory: URL? = nil
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : try which(executable))
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let stdoutFile = try TemporaryFile()
        let stderrFile = try TemporaryFile()
        process.standardOutput = stdoutFile.handle
        process.standardError = stderrFile.handle
        if let input {
            let inputFile = try TemporaryFile()
            try inputFile.handle.write(contentsOf: input)
            try inputFile.handle.seek(toOffset: 0)
            process.standardInput = inputFile.handle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, stdout: try stdoutFile.contents(), stderr: try stderrFile.contents())
    }

    /// The absolute path of a program on `PATH`.
    public static func which(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
    }

    /// The `litesafe` executable built alongside the tests.
    public static var litesafe: String {
        // SwiftPM puts the test bundle and the product executables in one folder.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = bundle.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("litesafe").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return "litesafe"
    }
}

/// An unlinked scratch file for a child's output (a pipe could fill and deadlock).
private final class TemporaryFile {
    let handle: FileHandle
    init() throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/litesafe-io.XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        unlink(template)
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
    func contents() throws -> Data {
        try handle.seek(toOffset: 0)
        return try handle.readToEnd() ?? Data()
    }
}
