/// Bech32 (BIP 173) as age uses it: no length limit, one case per string, checksum over
/// the lowercase form (spec "Conventions").
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, byte) in charset.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    /// Why a Bech32 string was rejected.
    enum DecodingError: Error, Equatable, CustomStringConvertible {
        case mixedCase, noSeparator, invalidCharacter, badChecksum, badPadding, emptyHRP

        /// What an operator reads: what is wrong with the text, never a Swift case name.
        var description: String {
            switch self {
            case .mixedCase: "it mixes upper and lower case letters"
            case .noSeparator: "it has no '1' after its prefix (age public keys start with age1)"
            case .invalidCharacter:
                "it contains a character an age key never has (after age1: letters and digits other than b, i, o and 1, no spaces)"
            case .badChecksum:
                "its checksum does not match: a character is wrong, missing or extra (copy the key again)"
            case .badPadding: "its data does not end on a whole byte: a character is missing or extra"
            case .emptyHRP: "it has nothing before its '1' separator (age public keys start with age1)"
            }
        }
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 {
                checksum ^= generator[bit]
            }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Regroups bits; when not padding, leftover bits must be fewer than `from` and zero.
    private static func convert(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var out: [UInt8] = []
        out.reserveCapacity(data.count * from / to + 1)
        let mask = (1 << to) - 1
        for value in data {
            accumulator = (accumulator << from | Int(value)) & 0xFFFF
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> bits) & mask))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << (to - bits)) & mask)) }
        } else if bits >= from || (accumulator << (to - bits)) & mask != 0 {
            return nil
        }
        return out
    }

    /// Encodes `data` under `hrp` (given in lowercase); uppercases the result when asked.
    static func encode(hrp: String, data: [UInt8], uppercase: Bool = false) -> String {
        let hrpBytes = Array(hrp.lowercased().utf8)
        let values = convert(data, from: 8, to: 5, pad: true)!
        let checksumInput = expand(hrpBytes) + values + [0, 0, 0, 0, 0, 0]
        let checksum = polymod(checksumInput) ^ 1
        var out = hrpBytes + [UInt8(ascii: "1")]
        out += values.map { charset[Int($0)] }
        out += (0..<6).map { charset[Int((checksum >> (5 * (5 - UInt32($0)))) & 31)] }
        let text = String(decoding: out, as: UTF8.self)
        return uppercase ? text.uppercased() : text
    }

    /// Decodes a Bech32 string into its lowercase HRP and 8-bit data.
    static func decode(_ text: String) throws(DecodingError) -> (hrp: String, data: [UInt8]) {
        var bytes = Array(text.utf8)
        defer { bytes.wipe() }
        return try decode(bytes[...])
    }

    /// Decodes Bech32 text into its lowercase HRP and 8-bit data. The text may be a secret key,
    /// so every working copy is zeroed before returning; the data is the caller's to wipe.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(DecodingError) -> (hrp: String, data: [UInt8]) {
        var hasLower = false
        var hasUpper = false
        for byte in bytes {
            guard byte >= 33, byte <= 126 else { throw .invalidCharacter }
            if byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "z") { hasLower = true }
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { hasUpper = true }
        }
        guard !(hasLower && hasUpper) else { throw .mixedCase }
        var lower = bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
        defer { lower.wipe() }
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")) else { throw .noSeparator }
        guard separator > 0 else { throw .emptyHRP }
        guard lower.count - separator - 1 >= 6 else { throw .badChecksum }
        let hrp = Array(lower[..<separator])
        var values: [UInt8] = []
        defer { values.wipe() }
        values.reserveCapacity(lower.count - separator - 1)
        for byte in lower[(separator + 1)...] {
            guard byte < 128, reverse[Int(byte)] >= 0 else { throw .invalidCharacter }
            values.append(UInt8(reverse[Int(byte)]))
        }
        var checksummed = expand(hrp) + values
        defer { checksummed.wipe() }
        guard polymod(checksummed) == 1 else { throw .badChecksum }
        var payload = Array(values.dropLast(6))
        defer { payload.wipe() }
        guard let data = convert(payload, from: 5, to: 8, pad: false) else {
            throw .badPadding
        }
        return (String(decoding: hrp, as: UTF8.self), data)
    }
}
