import Synchronization

/// A flag that stops the requests given it: once `cancel()` is called, a request under way ends
/// within about a second (curl's progress callback checks it) with ``HTTPError/Code/cancelled``,
/// and one not yet started fails at once.
public final class HTTPCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .releasing) }

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
}
