import Foundation
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
}
