#if canImport(Glibc)
    import Glibc
#endif

extension Array where Element == UInt8 {
    /// Zeroes the bytes in place, for a buffer that held secret key text or key bytes: freed
    /// memory keeps its contents until reused, where a core dump or a debugger would find them.
    /// `explicit_bzero` is never optimised away as a store to memory about to be freed.
    mutating func wipe() {
        withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            explicit_bzero(base, bytes.count)
        }
    }
}
