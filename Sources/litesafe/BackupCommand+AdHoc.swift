import Age
import Foundation
import Glibc
import LiteSafeCore
import LiteSafePresentation

extension BackupCommand {
    /// The job `--database` describes, after checking every ad-hoc input at once.
    ///
    /// Runs before the backup engine, which takes the database's lock in the destination and
    /// makes the staging folder: a typo in a path must fail here, leaving no `.lock` or empty
    /// `.staging` behind.
    ///
    /// - Throws: `CommandLineProblems` listing every problem found; usage problems (flags that
    ///   do not go together, values that do not parse) make it a usage error.
    func adHocJob() throws -> BackupJob {
        var usage: [String] = []
        var failures: [String] = []
        if configFile.config != nil || !names.isEmpty {
            usage.append("--database backs up one file; don't combine it with --config or NAMEs")
        }
        if to == nil { usage.append("--database needs --to <dir>, the destination folder (or s3://bucket/prefix)") }
        let toS3 = to?.hasPrefix("s3://") ?? false
        if s3.isGiven && !toS3 {
            usage.append("--credentials, --endpoint, --region and --path-style go with --to s3://bucket/prefix")
        }
        if toS3 && staging == nil {
            usage.append(
                "--to s3://… needs --staging <dir>, a private local folder for the snapshot before it is uploaded")
        }
        if recipients.isEmpty && recipientsFiles.isEmpty && !noEncryption {
            usage.append(
                "--database needs --recipient age1... or --recipients-file <file> (or --no-encryption to store plaintext deliberately)"
            )
        }
        if noEncryption && !(recipients.isEmpty && recipientsFiles.isEmpty) {
            usage.append("--no-encryption contradicts --recipient and --recipients-file")
        }
        let source = absolute(database ?? "")
        let jobName = name ?? defaultName(for: source)
        if !DatabaseName.isValid(jobName) {
            usage.append(
                "\(name == nil ? "the name taken from --database" : "--name") '\(jobName)' is not a valid backup name: use letters, digits, '.', '_' and '-' only\(name == nil ? "; pass --name <name>" : "")"
            )
        }
        let compression = Compression(parsing: self.compression)
        if compression == nil { usage.append("--compression must be none or zstd:1..19, not '\(self.compression)'") }
        let checkpoint = CheckpointMode(rawValue: self.checkpoint)
        if checkpoint == nil {
            usage.append("--checkpoint must be one of none, passive, full, restart, truncate; not '\(self.checkpoint)'")
        }
        var keys: [X25519Recipient] = []
        for recipient in recipients {
            do {
                keys.append(try X25519Recipient(parsing: recipient))
            } catch {
                usage.append("--recipient '\(AgeKeys.redactingSecretKeys(recipient))': \(ErrorMessage.describe(error))")
            }
        }
        for file in recipientsFiles {
            do {
                keys += try RecipientsFile.read(absolute(file))
            } catch {
                failures.append("--recipients-file: \(ErrorMessage.describe(error))")
            }
        }
        if let problem = Self.problem(withDatabase: source) { failures.append(problem) }
        var location: StoreLocation? = nil
        if let to, toS3 {
            do {
                location = .s3(try s3.location(to))
            } catch {
                usage.append("\(error)")
            }
        } else if let to {
            location = .directory(absolute(to))
        }
        if case .directory(let root) = location, !FileSystem.isDirectory(root) {
            failures.append(
                "--to \(root) is not a folder; create it (install -d -m 0700 \(root)) or fix the path")
        }
        let format = BackupFormat(rawValue: self.format)
        if format == nil { usage.append("--format must be file or pages, not '\(self.format)'") }
        if format == .pages {
            if state == nil {
                usage.append(
                    "--format pages needs --state <dir>, a private local folder for the page key and the last page table"
                )
            }
            if compression == Compression.none {
                usage.append("--format pages compresses its packs: drop --compression none")
            }
        } else if state != nil {
            usage.append("--state goes with --format pages")
        }
        if let staging = staging.map(absolute), FileSystem.exists(staging), !FileSystem.isDirectory(staging) {
            failures.append("--staging \(staging) is not a folder; fix the path")
        }
        guard usage.isEmpty, failures.isEmpty, let location, let compression, let checkpoint, let format else {
            throw CommandLineProblems(usage + failures, isUsage: !usage.isEmpty)
        }
        var job = BackupJob(
            name: jobName, sourcePath: source, store: LiteSafe.stores.makeStore(at: location),
            stagingDirectory: staging.map(absolute) ?? location.description + "/.staging", checkpoint: checkpoint,
            compression: compression, encryption: noEncryption ? .none : .recipients(keys))
        job.format = format
        job.pageStateDirectory = state.map(absolute)
        return job
    }

    /// What is wrong with the file `--database` names, if it cannot be the database to back up.
    private static func problem(withDatabase path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return "--database \(path) does not exist (nothing was created); check the path" }
            return "--database \(path): \(String(cString: strerror(errno))); check the path and its permissions"
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFLNK: return "--database \(path) is a symbolic link, which LiteSafe refuses; pass the real path"
        case S_IFDIR: return "--database \(path) is a folder; pass the database file"
        default: return "--database \(path) is not a regular file; pass the database file"
        }
    }

    /// The name a backup of `path` gets without `--name`: the file name up to its first dot.
    private func defaultName(for path: String) -> String {
        let base = FileSystem.basename(of: path)
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        return String(stem.map { DatabaseName.isValid(String($0)) ? $0 : "_" })
    }

    /// A failed ad-hoc backup's error, in the words of the command line (the core's messages
    /// speak of the configuration).
    static func describeAdHoc(_ error: any Error) -> String {
        switch (error as? BackupError)?.code {
        case .sourceMissing:
            "database \((error as? BackupError)?.location ?? "") does not exist (nothing was created); check the path given to --database"
        case .sourceIsSymlink:
            "database path \((error as? BackupError)?.location ?? "") contains a symbolic link, which LiteSafe refuses; pass the real path to --database"
        default: ErrorMessage.describe(error)
        }
    }
}
