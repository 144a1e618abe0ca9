import Foundation

/// Small real file systems for fault tests (root only).
public enum Mount {
    /// Mounts a tmpfs of `size` (e.g. "256k") at `path`, mode 0700.
    public static func tmpfs(at path: String, size: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try Subprocess.run("mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", path])
        guard result.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mount: \(result)"])
        }
    }

    /// Remounts `path` read-only.
    public static func remountReadOnly(_ path: String) throws {
        let result = try Subprocess.run("mount", ["-o", "remount,ro", path])
        guard result.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "remount: \(result)"])
        }
    }

    public static func unmount(_ path: String) {
        _ = try? Subprocess.run("umount", ["-l", path])
    }
}
