/// LiteSafe's own version, recorded in every manifest.
public enum LiteSafeVersion {
    public static let current = "0.1.0"
}
