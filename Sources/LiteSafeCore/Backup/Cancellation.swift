import Foundation

/// A flag another thread sets to ask a running backup to stop at its next safe point.
///
/// Work that cannot poll it (a request blocked in a network library) registers a handler with
/// `onCancel`, run once when it is set.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var handlers: [@Sendable () -> Void] = []

    public init() {}

    public func cancel() {
        let toRun: [@Sendable () -> Void] = lock.withLock {
            guard !cancelled else { return [] }
            cancelled = true
            defer { handlers = [] }
            return handlers
        }
        for handler in toRun { handler() }
    }

    public var isCancelled: Bool { lock.withLock { cancelled } }

    /// Runs `handler` once when the flag is set: at once (on this thread) if it is set already,
    /// else on the thread that sets it.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let now = lock.withLock {
            if cancelled { return true }
            handlers.append(handler)
            return false
        }
        if now { handler() }
    }
}
