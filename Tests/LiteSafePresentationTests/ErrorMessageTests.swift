import Foundation
import LiteSafeCore
import LiteSafePresentation
import Testing

/// The core says what is wrong; `ErrorMessage` adds what to do where that depends on how
/// LiteSafe runs, so an operator reads the same text as before the split.
@Suite struct ErrorMessageTests {
    /// Wording that belongs to the service, the command line or the shell, never to the core.
    static let edgeWords = [
        "systemctl", "ReadWritePaths", "runuser", "--config", "chown ", "install -d", "--force", "--type",
        "litesafe list",
    ]

    static let errors: [any Error] = [
        BackupError.destinationMissing(path: "/backups"),
        BackupError.noBackups(database: "app", folder: "/backups/app"),
        BackupError.outputExists(path: "/srv/app.db"),
        BackupError.sourceUnreadable(path: "/srv/app.db", reason: "unable to open database file"),
        BackupError.unreadableManifest(
            path: "/backups/app/x.manifest.json", reason: "denied",
            cause: FileSystemError("read", path: "/backups/app/x.manifest.json", errno: EACCES)),
        FileSystemError("write", path: "/var/lib/app/litesafe.prom", errno: EROFS),
        FileSystemError("open", path: "/backups", errno: EACCES),
        UntrustedFolder(path: "/backups", reason: .ownedByOther(owner: 65_534), user: 0),
        UntrustedFolder(path: "/backups", reason: .ownedByOther(owner: 65_534), user: 1_000),
        UntrustedFolder(path: "/backups", reason: .writableByOthers(mode: 0o775)),
        ExportProblem.unknownOverride("t.nope"),
    ]

    @Test("the core's text has no service or command-line advice; the operator's text has it")
    func adviceOnlyAtTheEdge() {
        for error in Self.errors {
            let core = "\(error)"
            let forOperator = ErrorMessage.describe(error)
            #expect(!Self.edgeWords.contains { core.contains($0) }, "\(core)")
            #expect(forOperator.contains(core.prefix(20)), "\(forOperator)")
            #expect(forOperator.count > core.count, "\(forOperator)")
        }
    }

    @Test("backup errors read as before the split")
    func backupErrors() {
        #expect(
            ErrorMessage.describe(BackupError.destinationMissing(path: "/backups"))
                == "destination folder /backups does not exist; create it (install -d -m 0700 -o litesafe /backups) or fix the path"
        )
        #expect(
            ErrorMessage.describe(BackupError.noBackups(database: "crm", folder: "/b/crm"))
                == "no backups of 'crm' in /b/crm; run `litesafe list` to see what is there")
        #expect(
            ErrorMessage.describe(BackupError.outputExists(path: "/srv/app.db"))
                == "/srv/app.db already exists; choose another output path, or pass --force to replace it (only when nothing has it open)"
        )
        #expect(
            ErrorMessage.describe(
                BackupError.sourceUnreadable(path: "/srv/app.db", reason: "unable to open database file"))
                == "cannot open database /srv/app.db: unable to open database file; give the litesafe user read-write access to the file and its folder (SQLite needs the folder for -wal/-shm files)"
        )
        let denied = FileSystemError("read", path: "/b/app/x.manifest.json", errno: EACCES)
        #expect(
            ErrorMessage.describe(
                BackupError.unreadableManifest(path: "/b/app/x.manifest.json", reason: "\(denied)", cause: denied))
                == "manifest /b/app/x.manifest.json cannot be read: cannot read /b/app/x.manifest.json: Permission denied — check the owner and mode of the path (the service runs as user litesafe); make it readable by the user LiteSafe runs as (backups made by root with `litesafe backup` are root's: chown -R litesafe: the folder), or move it aside if it is damaged"
        )
        // The code is what callers match on.
        #expect(BackupError.cancelled(database: "app").code == .cancelled)
        do {
            throw BackupError.alreadyRunning(database: "app", lockPath: "/b/app/.lock")
        } catch BackupError.alreadyRunning {
        } catch {
            Issue.record("alreadyRunning did not match its code: \(error)")
        }
    }

    @Test("a read-only folder says how to allow it in the unit; a refused one names the service's user")
    func fileSystemErrors() {
        #expect(
            ErrorMessage.describe(FileSystemError("write", path: "/var/lib/app/litesafe.prom", errno: EROFS))
                == "cannot write /var/lib/app/litesafe.prom: Read-only file system — the file system is read-only here: remount it read-write or choose another folder; under the systemd unit, allow the folder with `systemctl edit litesafe` ([Service] ReadWritePaths=/var/lib/app)"
        )
        #expect(
            ErrorMessage.describe(FileSystemError("open", path: "/b", errno: EACCES))
                == "cannot open /b: Permission denied — check the owner and mode of the path (the service runs as user litesafe)"
        )
        // Advice that does not depend on the installation stays with the core's text.
        let full = FileSystemError("write", path: "/b/x", errno: ENOSPC)
        #expect(
            "\(full)"
                == "cannot write /b/x: No space left on device — free space on that file system, or use a folder on a bigger one"
        )
        #expect(ErrorMessage.describe(full) == "\(full)")
    }

    @Test("an untrusted folder: run as its owner, or give it away")
    func untrustedFolders() {
        let name = FolderTrust.userName(65_534)
        let asRoot = ErrorMessage.describe(UntrustedFolder(path: "/b", reason: .ownedByOther(owner: 65_534), user: 0))
        #expect(asRoot.contains("belongs to user \(name)") && asRoot.contains("runuser -u \(name) -- litesafe"))
        #expect(asRoot.hasSuffix("or give the folder to root (`chown -R root: /b`)"))
        let me = FolderTrust.userName(1_000)
        #expect(
            ErrorMessage.describe(UntrustedFolder(path: "/b", reason: .ownedByOther(owner: 65_534), user: 1_000))
                == "/b belongs to user \(name), not to \(me), who runs LiteSafe: LiteSafe only writes in folders of its own; run it as \(name), or `chown -R \(me): /b`"
        )
        #expect(
            ErrorMessage.describe(UntrustedFolder(path: "/b", reason: .writableByOthers(mode: 0o775)))
                .hasSuffix("; run `chmod go-w /b`"))
        #expect(
            ErrorMessage.describe(
                UntrustedFolder(path: "/b/app", reason: .parentWritableByOthers(parent: "/b", mode: 0o777)))
                == "/b/app is inside /b, which others may write (mode 0777): anyone could replace the folder under LiteSafe; run `chmod go-w /b` or choose a folder elsewhere"
        )
    }

    @Test("export refusals name the command line's --type option only at the edge")
    func exportProblems() {
        #expect("\(ExportProblem.unknownOverride("t.nope"))" == "t.nope: there is no such table.column in the database")
        #expect(
            ErrorMessage.describe(ExportProblem.unknownOverride("t.nope"))
                == "--type t.nope: there is no such table.column in the database")
        let coercions = ExportProblem.coercions([], total: 3)
        #expect(!"\(coercions)".contains("--type"))
        #expect(
            ErrorMessage.describe(coercions)
                == "3 values would not reach PostgreSQL unchanged:\n\n  … and 3 more\nnothing was exported; give --type TABLE.COLUMN=TYPE to say how such a column should be stored"
        )
    }

    @Test("restore errors keep a code to match on and read as before")
    func restoreErrors() {
        let error = RestoreError.outputChanged(path: "/srv/app.db")
        #expect(error.code == .outputChanged && error.location == "/srv/app.db")
        #expect(
            ErrorMessage.describe(error)
                == "/srv/app.db was replaced, removed or created by another process during the restore; it was left as it is — stop whatever changes it and run the restore again"
        )
    }

    @Test("a manifest the service may not read keeps the read error's advice in list and prune")
    func damagedManifests() {
        let denied = FileSystemError("read", path: "/b/app/x.manifest.json", errno: EACCES)
        let manifest = DamagedManifest(location: "/b/app/x.manifest.json", reason: "\(denied)", cause: denied)
        #expect(
            "\(manifest)"
                == "manifest /b/app/x.manifest.json is damaged: cannot read /b/app/x.manifest.json: Permission denied; it was skipped (move it aside once you have looked at it)"
        )
        #expect(
            ErrorMessage.describe(manifest)
                == "manifest /b/app/x.manifest.json is damaged: cannot read /b/app/x.manifest.json: Permission denied — check the owner and mode of the path (the service runs as user litesafe); it was skipped (move it aside once you have looked at it)"
        )
        let plain = DamagedManifest(location: "/b/app/y.manifest.json", reason: "not JSON")
        #expect(ErrorMessage.describe(plain) == "\(plain)")
    }
}
