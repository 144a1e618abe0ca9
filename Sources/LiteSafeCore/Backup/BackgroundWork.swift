import Foundation

/// One throwing closure run on a thread of its own, so it overlaps with the caller's work;
/// `wait` returns what it returned or rethrows what it threw.
final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<Value, any Error>?

    init(name: String, _ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let outcome = Result { try body() }
            condition.lock()
            result = outcome
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Blocks until the work is done, calling `poll` (without holding any lock) every
    /// `interval` seconds meanwhile, e.g. to pass on a cancellation.
    func wait(pollingEvery interval: TimeInterval = 0.05, _ poll: () -> Void = {}) throws -> Value {
        condition.lock()
        while result == nil {
            if !condition.wait(until: Date(timeIntervalSinceNow: interval)) {
                condition.unlock()
                poll()
                condition.lock()
            }
        }
        let outcome = result!
        condition.unlock()
        return try outcome.get()
    }
}
