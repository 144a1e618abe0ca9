import Foundation
import LiteSafeCore
import ObjectStore
import S3

// s3-upload-bench FILE s3://BUCKET/PREFIX ENDPOINT REGION: uploads FILE as one backup through
// the S3 store (`S3PendingBackup`: parts in flight, checksums, the HEAD that confirms them, the
// manifest), as `make bench` compares it with `aws s3 cp` of the same file. Credentials come from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Prints one line: seconds, peak RSS (KiB) and the
// requests sent, by method. Not a test: the numbers depend on the machine and its load.

let arguments = CommandLine.arguments
guard arguments.count == 5, arguments[2].hasPrefix("s3://") else {
    FileHandle.standardError.write(Data("usage: s3-upload-bench FILE s3://BUCKET/PREFIX ENDPOINT REGION\n".utf8))
    exit(2)
}
let url = arguments[2].dropFirst("s3://".count)
let bucket = String(url.prefix { $0 != "/" })
let location = S3Location(
    bucket: bucket, prefix: String(url.dropFirst(bucket.count + 1)), region: arguments[4], endpoint: arguments[3],
    pathStyle: true)
let store = S3Store(location)

do {
    guard let input = FileHandle(forReadingAtPath: arguments[1]) else {
        throw MotoBenchError("cannot open \(arguments[1])")
    }
    let started = ContinuousClock.now
    let stem = BackupName.stem(database: "bench", date: Date())
    let pending = try store.beginBackup(database: "bench", stem: stem, dataExtension: ".sqlite.zst.age")
    var size: Int64 = 0
    while true {
        let chunk = input.readData(ofLength: 1 << 20)
        if chunk.isEmpty { break }
        try chunk.withUnsafeBytes { try pending.write($0) }
        size += Int64(chunk.count)
    }
    let fields: [String: Any] = [
        "format": Manifest.currentFormat, "database": "bench", "source_path": arguments[1],
        "created": BackupName.iso8601(Date()), "file": pending.fileName, "sqlite_version": "-", "page_size": 4096,
        "page_count": 1, "wal_mode": false, "plaintext_size": size, "plaintext_sha256": "", "stored_size": size,
        "stored_sha256": "", "compression": "zstd:3", "encryption": "age", "recipients": [String](),
        "check": "quick_check ok", "litesafe_version": "bench",
    ]
    let manifest = try Manifest.decode(Array(JSONSerialization.data(withJSONObject: fields)), path: "bench manifest")
    _ = try pending.commit(manifest: manifest)
    let elapsed = ContinuousClock.now - started
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let counts = try store.client().requestCounts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(String(format: "%.2f", seconds), usage.ru_maxrss, counts.joined(separator: " "))
} catch {
    FileHandle.standardError.write(Data("s3-upload-bench: \(error)\n".utf8))
    exit(1)
}

struct MotoBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
