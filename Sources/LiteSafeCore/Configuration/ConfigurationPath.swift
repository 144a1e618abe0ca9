import Foundation

/// Pure and file-system helpers for the absolute paths a configuration names.
enum ConfigurationPath {
    /// `path` without `.`, `..`, repeated or trailing slashes; nil unless it is absolute.
    static func normalized(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The folder containing `path` (which must be normalised); `/` for a top-level entry.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// True when `path` is `folder` itself or somewhere below it (both normalised).
    static func isSame(_ path: String, orInside folder: String) -> Bool {
        folder == "/" || path == folder || path.hasPrefix(folder + "/")
    }

    /// `path` with symbolic links resolved in the part of it that exists.
    ///
    /// A destination may not exist yet, but a symlink above it still decides where it really is.
    static func resolvingSymlinks(_ path: String) -> String {
        var existing = path
        var missing: [String] = []
        while existing != "/" {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                let resolved = String(cString: real)
                return missing.reversed().reduce(resolved) { $0 == "/" ? "/" + $1 : $0 + "/" + $1 }
            }
            missing.append(String(existing[existing.index(after: existing.lastIndex(of: "/")!)...]))
            existing = parent(of: existing)
        }
        return path
    }
}
