import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A signal the daemon acts on: SIGHUP reloads, SIGTERM and SIGINT stop.
public struct DaemonSignal: Sendable, Hashable, CustomStringConvertible {
    public let number: Int32
    public let name: String

    public static let hangUp = DaemonSignal(number: SIGHUP, name: "SIGHUP")
    public static let terminate = DaemonSignal(number: SIGTERM, name: "SIGTERM")
    public static let interrupt = DaemonSignal(number: SIGINT, name: "SIGINT")

    /// Every signal `litesafe run` handles.
    public static let all: [DaemonSignal] = [.hangUp, .terminate, .interrupt]

    /// Whether the signal asks the daemon to stop.
    public var stops: Bool { self != .hangUp }

    public var description: String { name }

    /// Blocks `signals` in the calling thread, and so in every thread it starts afterwards.
    ///
    /// Call it first thing in `main`, before any thread exists. Dispatch on Linux reads signals
    /// through signalfd(2), which only sees a signal still pending; a thread that has it unblocked
    /// would take it first, with its default action (SIGTERM and SIGINT kill, SIGHUP too).
    /// Ignoring the signals (`SIG_IGN`) instead would discard them before signalfd could read them.
    public static func block(_ signals: [DaemonSignal]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal.number) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}
