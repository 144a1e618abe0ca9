import Foundation
import HTTP
import LiteSafeCore

/// The factory the executable uses: S3 stores for S3 locations, and the core's
/// (`StandardStoreFactory`) for everything else.
public struct S3StoreFactory: StoreFactory {
    public var environment: [String: String]
    public var options: S3Store.Options
    private let others: any StoreFactory

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        options: S3Store.Options = S3Store.Options(),
        others: any StoreFactory = StandardStoreFactory()
    ) {
        self.environment = environment
        self.options = options
        self.others = others
    }

    public func makeStore(at location: StoreLocation) -> any BackupStore {
        switch location {
        case .s3(let bucket): S3Store(bucket, environment: environment, options: options)
        default: others.makeStore(at: location)
        }
    }

    /// An S3 store whose requests (a part upload under way among them) end within about a
    /// second of `cancellation` being set, with nothing listed; a folder store as usual.
    public func makeStore(at location: StoreLocation, cancellation: Cancellation) -> any BackupStore {
        guard case .s3(let bucket) = location else { return others.makeStore(at: location, cancellation: cancellation) }
        let requests = HTTPCancellation()
        cancellation.onCancel { requests.cancel() }
        var options = options
        options.cancellation = requests
        return S3Store(bucket, environment: environment, options: options)
    }
}
