import Systemd

extension Notifier: ServiceNotifier {}
