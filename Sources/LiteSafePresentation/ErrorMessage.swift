import LiteSafeCore

/// What an operator reads when something fails: the core's message and the advice that depends
/// on how LiteSafe is installed and run (the service's user `litesafe`, its unit's sandbox, the
/// command line's flags).
///
/// The core says what is wrong, on what, and keeps the cause; this is the one place that turns
/// that into "run `systemctl edit litesafe`". `litesafe` prints every error through it, and the
/// daemon's log formatting should too.
public enum ErrorMessage {
    /// `error`'s message followed by its advice; an error this module does not know, as it describes itself.
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as BackupError: describe(error)
        case let error as FileSystemError: error.description + advice(error)
        case let error as UntrustedFolder: error.description + advice(error)
        case let error as UntrustedFile: error.description + advice(error)
        case let error as RecipientsFile.Refused: error.description + (error.fix.map(advice) ?? "")
        case let error as IdentityFile.Refused: error.description + (error.fix.map(advice) ?? "")
        case let error as ExportProblem: describe(error)
        case let manifest as DamagedManifest: describe(manifest)
        case let error as ConfigurationError: error.problems.map(describe).joined(separator: "\n")
        case let problem as ConfigurationProblem: describe(problem)
        default: "\(error)"
        }
    }

    /// Whether `describe` knows `error`'s type (and may add to what it says of itself).
    public static func knows(_ error: any Error) -> Bool {
        switch error {
        case is BackupError, is FileSystemError, is UntrustedFolder, is UntrustedFile, is RecipientsFile.Refused,
            is IdentityFile.Refused, is ConfigurationError, is ConfigurationProblem, is ExportProblem,
            is DamagedManifest:
            true
        default: false
        }
    }

    /// A configuration problem as `check-config` prints it: `source:line:column: message` and the fix.
    public static func describe(_ problem: ConfigurationProblem) -> String {
        problem.description + (problem.fix.map(advice) ?? "")
    }

    /// The words for a fix that depends on the installation, to follow the problem's message.
    static func advice(_ fix: ConfigurationProblem.Fix) -> String {
        switch fix {
        case .fileSystem(let error): advice(error)
        case .untrustedFile(let file): advice(file)
        case .createConfiguration:
            "; create it (config/litesafe.yml is a documented example), or name another with --config or \(ConfigurationLoader.environmentVariable)"
        case .createDestination(let path): ": create it (install -d -m 0700 -o litesafe \(path)) or correct the path"
        case .makeReadable: " (make install gives it to group litesafe: chgrp litesafe FILE; chmod 0640 FILE)"
        case .replaceExampleKey: " (`litesafe keygen -o key.txt` on another host prints it)"
        case .credentialNotPassed(let name):
            " (systemd's LoadCredential=\(name):FILE passes it as $CREDENTIALS_DIRECTORY/\(name), as the S3 drop-in does; check-config under the unit checks it)"
        }
    }

    /// A damaged manifest, with the advice for the error that made it unreadable.
    static func describe(_ manifest: DamagedManifest) -> String {
        guard let cause = manifest.cause, knows(cause) else { return manifest.description }
        return
            "manifest \(manifest.location.escapingControlCharacters) is damaged: \(describe(cause)); it was skipped (move it aside once you have looked at it)"
    }

    /// An export refusal in the words of `litesafe export`, whose `--type` option is the fix.
    static func describe(_ problem: ExportProblem) -> String {
        switch problem {
        case .unknownOverride: "--type \(problem)"
        case .coercions:
            "\(problem); give --type TABLE.COLUMN=TYPE to say how such a column should be stored"
        case .verificationFailed: problem.description
        }
    }

    static func describe(_ error: BackupError) -> String {
        switch error.code {
        case .sourceUnreadable:
            return error.message
                + "; give the litesafe user read-write access to the file and its folder (SQLite needs the folder for -wal/-shm files)"
        case .destinationMissing:
            return error.message
                + "; create it (install -d -m 0700 -o litesafe \(error.location ?? "DIR")) or fix the path"
        case .unreadableManifest:
            // The reason may be an error with advice of its own: say it in full before ours.
            let message =
                error.cause.map { "manifest \(error.location ?? "") cannot be read: \(describe($0))" } ?? error.message
            return message
                + "; make it readable by the user LiteSafe runs as (backups made by root with `litesafe backup` are root's: chown -R litesafe: the folder), or move it aside if it is damaged"
        case .noBackups:
            return error.message + "; run `litesafe list` to see what is there"
        case .outputExists:
            return error.message
                + "; choose another output path, or pass --force to replace it (only when nothing has it open)"
        default:
            return error.message
        }
    }

    static func advice(_ error: FileSystemError) -> String {
        switch error.code {
        case .readOnly:
            // Under the unit's ProtectSystem=strict every folder not in ReadWritePaths= is read-only.
            " — the file system is read-only here: remount it read-write or choose another folder; under the systemd unit, allow the folder with `systemctl edit litesafe` ([Service] ReadWritePaths=\(FileSystem.parent(of: error.path)))"
        case .permissionDenied: " — check the owner and mode of the path (the service runs as user litesafe)"
        default: ""
        }
    }

    static func advice(_ folder: UntrustedFolder) -> String {
        let me = FolderTrust.userName(folder.user)
        switch folder.reason {
        case .ownedByOther(let owner):
            let name = FolderTrust.userName(owner)
            if folder.user == 0 {
                return
                    "; run LiteSafe as \(name) (`runuser -u \(name) -- litesafe …`), or give the folder to root (`chown -R root: \(folder.path)`)"
            }
            return "; run it as \(name), or `chown -R \(me): \(folder.path)`"
        case .writableByOthers:
            return "; run `chmod go-w \(folder.path)`"
        case .parentOwnedByOther:
            return "; keep LiteSafe's folders under folders owned by \(me == "root" ? "root" : "root or \(me)")"
        case .parentWritableByOthers(let parent, _):
            return "; run `chmod go-w \(parent)` or choose a folder elsewhere"
        }
    }

    static func advice(_ file: UntrustedFile) -> String {
        switch file.reason {
        case .ownedByOther: "; give it to root with `chown root: \(file.path)` after checking its contents"
        case .folderOwnedByOther: "; move the file to a folder owned by root, such as /etc/litesafe"
        case .folderWritableByOthers(let folder): "; run `chmod go-w \(folder)`"
        }
    }
}

extension ErrorWording {
    /// Errors as operators read them: the core's message and the advice `ErrorMessage` adds.
    public static let advising = ErrorWording { ErrorMessage.describe($0) }
}
