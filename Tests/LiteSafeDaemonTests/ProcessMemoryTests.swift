import Foundation
import Testing

@testable import LiteSafeDaemon

@Suite("ProcessMemory: what an idle daemon gives back")
struct ProcessMemoryTests {
    @Test("the executable's own code is found in /proc/self/maps, and dropping it leaves the process running")
    func ownCode() {
        let ranges = ProcessMemory.ownCodeRanges()
        #expect(!ranges.isEmpty)
        #expect(ranges.allSatisfy { $0.lowerBound % 4096 == 0 && $0.upperBound % 4096 == 0 })
        // The code this test runs is among them (this test target is the executable).
        let here = unsafeBitCast(ProcessMemoryTests.probe as @convention(c) () -> Int32, to: UInt.self)
        #expect(ranges.contains { $0.contains(here) })
        ProcessMemory.releaseFreedMemory()
        #expect(ProcessMemoryTests.probe() == 42)
    }

    static let probe: @convention(c) () -> Int32 = { 42 }
}
