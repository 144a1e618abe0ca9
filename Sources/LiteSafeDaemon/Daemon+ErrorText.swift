extension Daemon {
    /// The text the daemon shows for `error`: in its log lines, their `LITESAFE_ERROR` field and
    /// the state file's failure reasons.
    ///
    /// Every place the daemon turns an error into text comes here, so that how errors read (their
    /// cause, and the advice operators need) is composed in one place.
    static func errorText(_ error: any Error) -> String {
        "\(error)"
    }
}
