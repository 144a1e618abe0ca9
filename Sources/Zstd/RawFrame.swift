/// A zstd frame that holds its content as it is, in one Raw_Block (RFC 8878, sections 3.1.1
/// and 3.1.1.2): its size follows from the content's size alone, so a writer can reserve room
/// for it before the content exists and fill it in last.
///
/// The frame is single-segment (its window is its content) and has no content checksum; any
/// zstd decoder, the stock `zstd -d` included, reads it and the frames around it as one stream.
public enum RawFrame {
    /// The largest content one frame holds: one block, whose size RFC 8878 caps at 128 KiB.
    public static let maximumContentSize = 128 * 1024

    /// The frame's size in bytes for `contentSize` bytes of content.
    public static func size(contentSize: Int) -> Int {
        precondition(contentSize >= 0 && contentSize <= maximumContentSize, "\(contentSize) bytes is not one block")
        return 4 + 1 + contentSizeFieldSize(contentSize) + 3 + contentSize
    }

    /// The frame holding `content`, `size(contentSize: content.count)` bytes long.
    public static func encode(_ content: UnsafeRawBufferPointer) -> [UInt8] {
        let count = content.count
        let fieldSize = contentSizeFieldSize(count)
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]  // Magic_Number 0xFD2FB528, little-endian
        frame.reserveCapacity(size(contentSize: count))
        // Frame_Header_Descriptor: Frame_Content_Size_flag (bits 7–6), Single_Segment_flag
        // (bit 5); no checksum, no dictionary.
        let flag: UInt8 =
            switch fieldSize {
            case 1: 0
            case 2: 1
            default: 2
            }
        frame.append(flag << 6 | 1 << 5)
        // Frame_Content_Size, little-endian; the 2-byte form counts from 256.
        let stored = fieldSize == 2 ? count - 256 : count
        for index in 0..<fieldSize { frame.append(UInt8(truncatingIfNeeded: stored >> (8 * index))) }
        // Block_Header: Last_Block (bit 0), Block_Type 0 = Raw_Block (bits 1–2), Block_Size (bits 3–23).
        let header = UInt32(count) << 3 | 1
        for index in 0..<3 { frame.append(UInt8(truncatingIfNeeded: header >> (8 * index))) }
        frame.append(contentsOf: content)
        return frame
    }

    private static func contentSizeFieldSize(_ count: Int) -> Int {
        if count < 256 { return 1 }
        if count < 65536 + 256 { return 2 }
        return 4
    }
}
