import Foundation

/// `litesafe run --config CONFIG` as a child process, its standard error in a file the test
/// reads as it grows. None of the test runner's systemd or LiteSafe variables reach it, only
/// those given in `environment`.
public final class DaemonProcess {
    public let process = Process()
    public let errorLog: String

    public init(config: String, folder: String, environment extra: [String: String] = [:]) throws {
        errorLog = folder + "/stderr.log"
        _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
        process.executableURL = URL(fileURLWithPath: Subprocess.litesafe)
        process.arguments = ["run", "--config", config, "--log-target", "console"]
        var environment = ProcessInfo.processInfo.environment.filter {
            !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"].contains($0.key)
                && !$0.key.hasPrefix("LITESAFE_")
        }
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: errorLog)
        try process.run()
    }

    public var errorOutput: String { (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? "" }

    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// The exit status, or nil if it is still running after `timeout`.
    public func waitForExit(timeout: TimeInterval = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Sends `signal` and waits up to 10 s: the exit status, or nil if it still runs.
    public func stop(_ signal: Int32) -> Int32? {
        send(signal)
        return waitForExit()
    }

    deinit {
        if process.isRunning {
            send(SIGKILL)
            process.waitUntilExit()
        }
    }
}
