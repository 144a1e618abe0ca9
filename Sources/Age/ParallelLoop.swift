import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `body` for every index in `0..<iterations` on every core: the calling thread and up to
/// cores − 1 threads started for the call, each taking the next index until none is left.
///
/// Threads are started per call, so a call should carry enough work to pay for them (a batch
/// of chunks does). Plain pthreads keep this library free of Dispatch, which only the daemon
/// uses.
enum ParallelLoop {
    static let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    static func run(iterations: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let work = Work(iterations: iterations, body: body)
        var threads: [pthread_t] = []
        for _ in 0..<(min(cores, iterations) - 1) {
            var thread = pthread_t()
            let retained = Unmanaged.passRetained(work).toOpaque()
            let started = pthread_create(
                &thread, nil,
                { raw in
                    Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().drain()
                    return nil
                }, retained)
            // No thread: the ones there are (or the caller alone) do its share.
            if started == 0 { threads.append(thread) } else { Unmanaged<Work>.fromOpaque(retained).release() }
        }
        work.drain()
        for thread in threads { pthread_join(thread, nil) }
    }

    private final class Work: Sendable {
        let iterations: Int
        let next = Atomic<Int>(0)
        let body: @Sendable (Int) -> Void

        init(iterations: Int, body: @escaping @Sendable (Int) -> Void) {
            self.iterations = iterations
            self.body = body
        }

        func drain() {
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < iterations else { return }
                body(index)
            }
        }
    }
}
