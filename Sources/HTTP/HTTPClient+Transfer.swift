import CCurl

/// The state of one request that curl's C callbacks reach through their user-data pointer.
final class Transfer {
    struct Failure {
        let code: HTTPError.Code
        let detail: String
        let error: (any Error)?
    }

    var body: HTTPRequest.Body
    var bodyOffset = 0
    var sent: Int64 = 0
    let bodyLimit: Int
    let receive: ((UnsafeRawBufferPointer) throws -> Void)?
    let cancellation: HTTPCancellation?
    var status = 0
    var headers: [HTTPHeader] = []
    var collected: [UInt8] = []
    /// Why a callback stopped the transfer; it explains curl's generic "aborted by callback" / write error.
    var failure: Failure?

    init(
        body: HTTPRequest.Body, bodyLimit: Int, receive: ((UnsafeRawBufferPointer) throws -> Void)?,
        cancellation: HTTPCancellation?
    ) {
        self.cancellation = cancellation
        self.body = body
        self.bodyLimit = bodyLimit
        self.receive = receive
    }

    static let onHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, user in
        let transfer = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
        let length = size * count
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            .trimmingSuffix { $0 == "\r\n" || $0 == "\r" || $0 == "\n" }
        if line.hasPrefix("HTTP/") {
            // A new status line (after a 1xx) starts a new header block.
            transfer.headers = []
            let parts = line.split(separator: " ", maxSplits: 2)
            transfer.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        } else if let colon = line.firstIndex(of: ":") {
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            transfer.headers.append(HTTPHeader(String(line[..<colon]), String(value)))
        }
        return length
    }

    /// curl calls it at least once a second while a transfer is under way, idle or not.
    static let onProgress:
        @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32 = {
            user, _, _, _, _ in
            let transfer = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
            guard transfer.cancellation?.isCancelled ?? false else { return 0 }
            transfer.failure = Failure(code: .cancelled, detail: "cancelled", error: nil)
            return 1
        }

    static let onBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, user in
        let transfer = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
        if let receive = transfer.receive, (200..<300).contains(transfer.status) {
            do {
                try receive(bytes)
            } catch {
                transfer.failure = Failure(code: .bodyFailed, detail: "the response's receiver failed", error: error)
                return 0
            }
        } else {
            guard transfer.collected.count + bytes.count <= transfer.bodyLimit else {
                transfer.failure = Failure(
                    code: .tooLarge, detail: "the response body is over the limit of \(transfer.bodyLimit) bytes",
                    error: nil)
                return 0
            }
            transfer.collected += bytes
        }
        return bytes.count
    }

    static let onRead: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, user in
        let transfer = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
        let buffer = UnsafeMutableRawBufferPointer(start: data, count: size * count)
        let produced: Int
        switch transfer.body {
        case .none:
            produced = 0
        case .bytes(let bytes):
            produced = min(buffer.count, bytes.count - transfer.bodyOffset)
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(
                    from: UnsafeRawBufferPointer(
                        rebasing: source[transfer.bodyOffset..<(transfer.bodyOffset + produced)]))
            }
            transfer.bodyOffset += produced
        case .stream(let length, let read):
            let wanted = Int(min(Int64(buffer.count), length - transfer.sent))
            if wanted == 0 { return 0 }
            do {
                produced = try read(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
            } catch {
                transfer.failure = Failure(code: .bodyFailed, detail: "the request's body reader failed", error: error)
                return ccurl_readfunc_abort()
            }
            if produced <= 0 || produced > wanted {
                transfer.failure = Failure(
                    code: .bodyFailed,
                    detail: "the request's body reader gave \(produced) bytes after \(transfer.sent) of \(length)",
                    error: nil)
                return ccurl_readfunc_abort()
            }
        }
        transfer.sent += Int64(produced)
        return produced
    }
}

extension String {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var text = self[...]
        while let last = text.last, predicate(last) { text.removeLast() }
        return String(text)
    }
}
