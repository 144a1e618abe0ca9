import Age

#if canImport(Glibc)
    import Glibc
#endif

// age-throughput RECIPIENT INPUT OUTPUT: encrypts INPUT to RECIPIENT with the Age module,
// streaming through a 1 MiB buffer; `make bench` compares it with `age -r`. It avoids
// Foundation so its memory is the module's, not libFoundation's.
let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    complain("usage: age-throughput RECIPIENT INPUT OUTPUT\n")
    exit(2)
}

/// Writes a message to standard error (fd 2, unbuffered).
func complain(_ text: String) {
    var bytes = Array(text.utf8)
    _ = write(2, &bytes, bytes.count)
}

func check(_ result: Int, _ what: String) -> Int {
    if result < 0 {
        complain("age-throughput: \(what): \(String(cString: strerror(errno)))\n")
        exit(1)
    }
    return result
}

let input = Int32(check(Int(open(arguments[2], O_RDONLY | O_CLOEXEC)), arguments[2]))
let output = Int32(check(Int(open(arguments[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)), arguments[3]))

func writeAll(_ bytes: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < bytes.count {
        offset += check(write(output, bytes.baseAddress! + offset, bytes.count - offset), "write")
    }
}

do {
    let encryptor = try AgeEncryptor(recipients: [X25519Recipient(parsing: arguments[1])])
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        if check(count, "read") == 0 { break }
        try buffer.withUnsafeBytes {
            try encryptor.update(UnsafeRawBufferPointer(rebasing: $0[..<count]), into: writeAll)
        }
    }
    try encryptor.finish(into: writeAll)
    _ = check(Int(close(output)), "close")
} catch {
    complain("age-throughput: \(error)\n")
    exit(1)
}
