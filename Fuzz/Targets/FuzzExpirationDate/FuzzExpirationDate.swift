import Foundation
import XapiPlatforms

/// Feeds fuzzed text to the expiry-date parsers and checks what any accepted value must satisfy.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExpirationDate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let (timestamp, dayStart) = FuzzEntryPoints.parseExpiration(text)

    // Years 1 to 9999 with offsets of at most a day lie within these bounds.
    let earliest = -62_135_596_800.0 - 86_400
    let latest = 253_402_300_800.0 + 86_400
    if let timestamp {
        let seconds = timestamp.timeIntervalSince1970
        if !seconds.isFinite || seconds < earliest || seconds > latest {
            fatalError("parseTimestamp accepted '\(text)' as an impossible time \(seconds)")
        }
    }
    if let dayStart {
        let seconds = dayStart.timeIntervalSince1970
        if seconds.truncatingRemainder(dividingBy: 86_400) != 0 {
            fatalError("parseDayStart returned a time that is not midnight UTC for '\(text)'")
        }
        // A day start is also a valid timestamp at midnight UTC.
        let asTimestamp = FuzzEntryPoints.parseExpiration(text.trimmingCharacters(in: .whitespaces) + " 00:00:00 UTC")
        if asTimestamp.timestamp != dayStart {
            fatalError("'\(text)' parses as a day but not as the same day's midnight timestamp")
        }
    }
    return 0
}
