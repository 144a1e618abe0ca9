import Dispatch
import LiteSafeCore
import Logging

extension Daemon {
    /// Creates a Dispatch source for each signal in `options.signals`; `READY=1` waits for all
    /// of them to be registered (at once when there are none).
    ///
    /// The signals must already be blocked in every thread (`DaemonSignal.block`, from `main`):
    /// on Linux the sources read them through signalfd(2).
    func installSignalSources() {
        unregisteredSignals = options.signals.count
        for signal in options.signals {
            let source = DispatchSource.makeSignalSource(signal: signal.number, queue: queue)
            source.setEventHandler { [weak self] in self?.handle(signal) }
            source.setRegistrationHandler { [weak self] in self?.signalSourceRegistered() }
            source.resume()
            signalSources.append(source)
        }
        if options.signals.isEmpty { becomeReady() }
    }

    func signalSourceRegistered() {
        unregisteredSignals -= 1
        if unregisteredSignals == 0 { becomeReady() }
    }

    func handle(_ signal: DaemonSignal) {
        if signal.stops {
            stopOnQueue(reason: signal.name)
        } else {
            logger.info("\(signal.name): reloading \(configuration.sourceFile)")
            reloadOnQueue()
        }
    }
}
