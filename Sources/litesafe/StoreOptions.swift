import ArgumentParser
import Foundation
import LiteSafeCore
import LiteSafePresentation
import ObjectStore

/// `--config <file> | --from <dir>|s3://bucket/prefix`: where list, restore, verify and prune find
/// backups.
struct StoreOptions: ParsableArguments {
    @OptionGroup var configFile: ConfigFileOption

    @Option(
        help: ArgumentHelp(
            "A destination folder, or a bucket and prefix (s3://bucket/prefix), to read directly, without a configuration.",
            valueName: "dir|url"))
    var from: String?

    @OptionGroup var s3: S3Options

    func validate() throws {
        if configFile.config != nil && from != nil {
            throw ValidationError("give --config <file> or --from <dir>, not both")
        }
        if !(from?.hasPrefix("s3://") ?? false) && s3.isGiven {
            throw ValidationError(
                "--credentials, --endpoint, --region and --path-style go with --from s3://bucket/prefix")
        }
    }

    /// The stores to look in, with the database names each holds (all of them when `names` is
    /// empty). A name the configuration does not know is an error that lists the ones it does.
    func stores(only names: [String]) throws -> [(database: String, store: any BackupStore)] {
        if let from {
            let location =
                try from.hasPrefix("s3://") ? .s3(s3.location(from)) : StoreLocation.directory(absolute(from))
            let store = LiteSafe.stores.makeStore(at: location)
            return try (names.isEmpty ? store.databases() : names).map { ($0, store) }
        }
        let configuration = try configFile.load()
        return try configuration.databases(named: names).map { ($0.name, LiteSafe.stores.makeStore(at: $0.store)) }
    }
}

/// How `--from s3://bucket/prefix` reaches its bucket.
struct S3Options: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The S3 credentials file (AWS's format, [default] profile); default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
            valueName: "file"))
    var credentials: String?

    @Option(help: ArgumentHelp("The S3-compatible service's URL (default: AWS's in --region).", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("The bucket's region (default: $AWS_REGION, else us-east-1).", valueName: "region"))
    var region: String?

    @Flag(help: "Put the bucket in the URL's path, not its host name (MinIO, moto, Garage).")
    var pathStyle = false

    var isGiven: Bool { credentials != nil || endpoint != nil || region != nil || pathStyle }

    /// The location `s3://bucket/prefix` names.
    func location(_ url: String) throws -> S3Location {
        let rest = url.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        guard !bucket.isEmpty else { throw ValidationError("\(url) names no bucket: give s3://bucket/prefix") }
        let prefix = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
        let region = region ?? ProcessInfo.processInfo.environment["AWS_REGION"] ?? "us-east-1"
        return S3Location(
            bucket: bucket, prefix: prefix, region: region, endpoint: endpoint, pathStyle: pathStyle,
            credentialsFile: credentials.map(absolute))
    }
}

extension LiteSafe {
    /// What makes every store the commands and the daemon use: the executable's one choice of
    /// backends (S3 buckets, and the core's folders).
    static let stores: any StoreFactory = S3StoreFactory()
}
