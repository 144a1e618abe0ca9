import Foundation

/// Waits until `condition` holds, checking every 10 ms, for at most `timeout` (generous: a
/// loaded CI machine, and state writes batched a second apart); returns whether it held.
///
/// For what the daemon does on its own queue or backup threads after a call returns.
public func eventually(timeout: TimeInterval = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return try condition()
}
