import LiteSafePresentation

extension Daemon {
    /// The text the daemon shows for `error`: in its log lines, their `LITESAFE_ERROR` field and
    /// the state file's failure reasons.
    ///
    /// Every place the daemon turns an error into text comes here: the core's message with the
    /// advice that depends on how LiteSafe is installed and run (`ErrorMessage`), as `litesafe`
    /// prints it.
    static func errorText(_ error: any Error) -> String {
        ErrorMessage.describe(error)
    }
}
