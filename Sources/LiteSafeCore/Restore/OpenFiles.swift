import Foundation
import Glibc

/// Which processes have a file open, read from `/proc/<pid>/fd` like `fuser` does.
enum OpenFiles {
    /// "pid 1234 (app)" for each process holding any of `paths` open.
    static func processes(holding paths: [String]) -> [String] {
        let targets = Set(paths.compactMap(realPath))
        guard !targets.isEmpty, let pids = try? FileSystem.contents(of: "/proc") else { return [] }
        var found: [String] = []
        let me = getpid()
        for pid in pids where Int32(pid) != nil && Int32(pid) != me {
            guard let fds = try? FileSystem.contents(of: "/proc/\(pid)/fd") else { continue }
            for fd in fds {
                if let target = readLink("/proc/\(pid)/fd/\(fd)"), targets.contains(target) {
                    found.append("pid \(pid) (\(command(of: pid)))")
                    break
                }
            }
        }
        return found
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func command(of pid: String) -> String {
        guard let bytes = try? FileSystem.readSmallFile("/proc/\(pid)/comm", limit: 4096) else { return "?" }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
