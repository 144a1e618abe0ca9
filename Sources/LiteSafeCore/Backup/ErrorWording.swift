/// How the errors the core logs and reports read: as they describe themselves by default.
///
/// The core's errors say what is wrong and keep their cause; advice that depends on how LiteSafe
/// is installed and run (the service's user, its unit's sandbox, the command line) is added at
/// the edge. The executable and the daemon pass their wording here, so the lines the engine, the
/// pruner and the verifier log read as `litesafe` prints the same errors.
public struct ErrorWording: Sendable {
    private let text: @Sendable (any Error) -> String

    public init(_ text: @escaping @Sendable (any Error) -> String) { self.text = text }

    /// Each error's own description.
    public static let plain = ErrorWording { "\($0)" }

    public func callAsFunction(_ error: any Error) -> String { text(error) }
}
