// swift-tools-version:6.0
import PackageDescription

// One settings list for every target (the habit swift-log's manifest shows).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "litesafe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "litesafe", targets: ["litesafe"]),
        .library(name: "Age", targets: ["Age"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // MARK: C libraries: each is imported by exactly one Swift module below.
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // Headers only: Postgres opens libpq.so.5 with dlopen (see Sources/Postgres/LibPQ.swift).
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),
        // Headers only, without pkgConfig (whose flags would link libcurl): HTTP opens it with dlopen.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // glibc's <malloc.h>, for how the daemon returns freed memory; part of libc itself.
        .systemLibrary(name: "CMalloc"),
        // glibc's <sys/prctl.h>, for the executable's process hardening; part of libc itself.
        .systemLibrary(name: "CProcessControl"),
        // glibc's Linux calls: sync_file_range and sched_setattr (a backup's writeback and priority); part of libc.
        .systemLibrary(name: "CLinux"),

        // MARK: Wrappers that turn the C libraries into Swift types and errors.
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Zstd", dependencies: ["CZstd"]),
        .target(name: "Postgres", dependencies: ["CPostgres"]),
        // A blocking HTTP client for worker threads (no event loop), over Debian's libcurl.
        .target(name: "HTTP", dependencies: ["CCurl"]),

        // MARK: The age v1 file format; knows nothing of backups.
        .target(
            name: "Age",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]),

        // MARK: S3-compatible object storage: SigV4 signing and a client; knows nothing of backups.
        .target(name: "S3", dependencies: ["HTTP", .product(name: "Crypto", package: "swift-crypto")]),
        // Backups in a bucket: the S3 store and the factory that makes it beside the core's stores.
        .target(name: "ObjectStore", dependencies: ["S3", "HTTP", "LiteSafeCore"]),

        // MARK: The domain: no Dispatch, no systemd, no CLI.
        .target(
            name: "LiteSafeCore",
            dependencies: [
                "SQLite", "Zstd", "Age", "Postgres", "CLinux",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]),

        // MARK: What operators read: tables, JSON, summaries, and errors with their advice.
        .target(name: "LiteSafePresentation", dependencies: ["LiteSafeCore"]),

        // MARK: The long-running service: scheduler, timers, signals, reload, watchdog.
        .target(
            name: "LiteSafeDaemon",
            dependencies: [
                "LiteSafeCore", "LiteSafePresentation", "Systemd", "CMalloc",
                .product(name: "Logging", package: "swift-log"),
            ]),

        // MARK: The executable: wiring only.
        .executableTarget(
            name: "litesafe",
            dependencies: [
                "LiteSafeCore", "LiteSafePresentation", "LiteSafeDaemon", "Systemd", "Age", "CProcessControl",
                "ObjectStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // MARK: `make bench`: the Age module alone, against `age -r` (Foundation-free, for its memory).
        .executableTarget(name: "age-throughput", dependencies: ["Age"]),
        // `scripts/capture-bench`: a snapshot's pages captured vs the staging copy (issue 14's measurement).
        .executableTarget(
            name: "page-capture-bench", dependencies: ["SQLite", "Zstd"], path: "Tests/tools/page-capture-bench"),
        // `make bench`: one backup file uploaded through the S3 store, against `aws s3 cp`.
        .executableTarget(
            name: "s3-upload-bench", dependencies: ["ObjectStore", "S3", "LiteSafeCore"],
            path: "Tests/tools/s3-upload-bench"),

        // MARK: Tests mirror the sources.
        // What any test needs (temporary folders, subprocesses, SQLite fixtures, servers): no domain.
        .target(name: "TestTools", dependencies: ["SQLite"], path: "Tests/TestTools"),
        // Doubles of the domain's seams (log recorder, stores); re-exports TestTools.
        .target(
            name: "TestSupport",
            dependencies: ["LiteSafeCore", "TestTools", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "AgeTests",
            dependencies: ["Age", "TestTools", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "TestTools"]),
        .testTarget(name: "ZstdTests", dependencies: ["Zstd", "SQLite", "TestTools"]),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd", "TestTools", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "LiteSafeCoreTests",
            dependencies: [
                "LiteSafeCore", "Age", "SQLite", "TestSupport", .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "LiteSafeDaemonTests",
            dependencies: [
                "LiteSafeDaemon", "LiteSafeCore", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "LiteSafePresentationTests",
            dependencies: ["LiteSafePresentation", "LiteSafeCore", "Age", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestTools"]),
        .testTarget(name: "S3Tests", dependencies: ["S3", "HTTP", "TestTools"]),
        .testTarget(
            name: "ObjectStoreTests",
            dependencies: [
                "ObjectStore", "S3", "HTTP", "LiteSafeCore", "Age", "TestSupport", "TestTools",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "HTTPTests",
            dependencies: ["HTTP", "TestTools", .product(name: "Crypto", package: "swift-crypto")]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
