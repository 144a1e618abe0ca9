import Glibc
import TestTools
import Testing

@testable import Systemd

// Each test sets NOTIFY_SOCKET or WATCHDOG_* for the whole process, hence `.serialized`.
@Suite(.serialized) struct NotifierTests {
    /// Runs `body` with `NOTIFY_SOCKET` pointing at a fresh socket.
    func withNotifySocket(_ body: (NotifySocket) throws -> Void) throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try body(socket) }
    }

    @Test func readySendsReadyOne() throws {
        try withNotifySocket { socket in
            try Notifier().ready()
            #expect(socket.receive() == "READY=1")
        }
    }

    @Test func readyWithStatusSendsBothInOneDatagram() throws {
        try withNotifySocket { socket in
            try Notifier().ready(status: "watching 2 databases")
            #expect(socket.receive() == "READY=1\nSTATUS=watching 2 databases")
        }
    }

    @Test func reloadingSendsCurrentMonotonicTime() throws {
        try withNotifySocket { socket in
            let before = monotonicMicroseconds()
            try Notifier().reloading()
            let after = monotonicMicroseconds()

            let lines = try #require(socket.receive()).split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first == "RELOADING=1")
            let stamp = try #require(lines.last?.split(separator: "=", maxSplits: 1))
            #expect(stamp.first == "MONOTONIC_USEC")
            let value = try #require(UInt64(stamp.last ?? ""))
            #expect(before <= value && value <= after)
        }
    }

    @Test func stoppingSendsStoppingOne() throws {
        try withNotifySocket { socket in
            try Notifier().stopping()
            #expect(socket.receive() == "STOPPING=1")
        }
    }

    @Test func statusFoldsLineBreaksIntoSpaces() throws {
        try withNotifySocket { socket in
            try Notifier().status("backing up app\nnext: ledger\r\nlast ok")
            #expect(socket.receive() == "STATUS=backing up app next: ledger last ok")
        }
    }

    @Test func watchdogSendsWatchdogOne() throws {
        try withNotifySocket { socket in
            try Notifier().watchdog()
            #expect(socket.receive() == "WATCHDOG=1")
        }
    }

    @Test(arguments: [
        (Duration.seconds(90), "EXTEND_TIMEOUT_USEC=90000000"),
        (Duration.milliseconds(1500), "EXTEND_TIMEOUT_USEC=1500000"),
        (Duration.nanoseconds(1999), "EXTEND_TIMEOUT_USEC=1"),
        (Duration.seconds(-5), "EXTEND_TIMEOUT_USEC=0"),
    ])
    func extendTimeoutSendsMicroseconds(duration: Duration, expected: String) throws {
        try withNotifySocket { socket in
            try Notifier().extendTimeout(duration)
            #expect(socket.receive() == expected)
        }
    }

    @Test func keepsTheEnvironmentForLaterMessages() throws {
        try withNotifySocket { socket in
            let notifier = Notifier()
            try notifier.reloading()
            try notifier.ready()
            _ = socket.receive()
            #expect(socket.receive() == "READY=1")
            #expect(notifier.isEnabled)
        }
    }

    @Test func withoutNotifySocketEverythingIsANoOp() throws {
        try withEnvironment(["NOTIFY_SOCKET": nil]) {
            let notifier = Notifier()
            #expect(!notifier.isEnabled)
            try notifier.ready()
            try notifier.status("nobody listens")
            try notifier.stopping()
        }
    }

    @Test func unreachableSocketThrowsWithTheErrnoText() throws {
        let socket = try NotifySocket()
        let missing = socket.directory + "/absent.sock"
        try withEnvironment(["NOTIFY_SOCKET": missing]) {
            let error = try #require(throws: SystemdError.self) { try Notifier().ready() }
            #expect(error.operation == "sd_notify(READY=1)")
            #expect(error.reason == String(cString: strerror(ENOENT)))
            #expect(error.description.contains(missing))
        }
        #expect(socket.receive(timeout: 0) == nil)
    }

    @Test func watchdogIntervalForThisProcess() throws {
        try withEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid())]) {
            let interval = try Notifier().watchdogInterval
            #expect(interval == .seconds(30))
        }
    }

    @Test func watchdogIntervalWithoutPIDAppliesToThisProcess() throws {
        try withEnvironment(["WATCHDOG_USEC": "500000", "WATCHDOG_PID": nil]) {
            let interval = try Notifier().watchdogInterval
            #expect(interval == .milliseconds(500))
        }
    }

    @Test func watchdogIntervalIsNilForAnotherProcessOrWhenOff() throws {
        try withEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid() + 1)]) {
            let interval = try Notifier().watchdogInterval
            #expect(interval == nil)
        }
        try withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
            let interval = try Notifier().watchdogInterval
            #expect(interval == nil)
        }
    }

    @Test func malformedWatchdogVariableThrows() throws {
        try withEnvironment(["WATCHDOG_USEC": "soon", "WATCHDOG_PID": nil]) {
            let error = try #require(throws: SystemdError.self) { try Notifier().watchdogInterval }
            #expect(error.operation == "sd_watchdog_enabled")
        }
    }

    private func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
