import Foundation

/// Parsers for the expiry dates that platforms send, written out by hand because the formats mix a date,
/// a time and a zone in ways that no single Foundation format style accepts.
enum ExpirationDate {
    /// Parses GitHub's `github-authentication-token-expiration` header.
    ///
    /// GitHub does not document the format. Observed values look like `2021-10-07 19:07:53 UTC`; this also
    /// accepts a numeric offset (`2026-12-01 00:00:00 -0800`, `+05:30`), `GMT`, and ISO 8601
    /// (`2026-12-01T00:00:00Z`, with optional fractional seconds). Returns nil for anything else.
    static func parseTimestamp(_ text: String) -> Date? {
        var reader = Reader(text.trimmingCharacters(in: .whitespaces))

        guard let (year, month, day) = reader.readDate() else { return nil }
        guard reader.skip(" ") || reader.skip("T") || reader.skip("t") else { return nil }
        guard let hour = reader.readNumber(digits: 2), reader.skip(":"),
            let minute = reader.readNumber(digits: 2), reader.skip(":"),
            let second = reader.readNumber(digits: 2)
        else { return nil }

        var fraction = 0.0
        if reader.skip(".") || reader.skip(",") {
            guard let digits = reader.readDigits(), digits.count <= 9, let value = Double("0." + digits) else {
                return nil
            }
            fraction = value
        }

        while reader.skip(" ") {}
        guard let offsetSeconds = reader.readZone(), reader.isAtEnd else { return nil }

        // A leap second (:60) is folded into the next second's start, as most clocks do.
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            let midnight = secondsSinceEpoch(year: year, month: month, day: day)
        else { return nil }

        let seconds = midnight + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Parses a calendar date `YYYY-MM-DD` as 00:00 UTC of that day, which is when a GitLab token whose
    /// `expires_at` names that day stops working.
    static func parseDayStart(_ text: String) -> Date? {
        var reader = Reader(text.trimmingCharacters(in: .whitespaces))
        guard let (year, month, day) = reader.readDate(), reader.isAtEnd,
            let seconds = secondsSinceEpoch(year: year, month: month, day: day)
        else { return nil }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    /// Seconds from 1970-01-01T00:00:00Z to 00:00 UTC of the given day in the proleptic Gregorian calendar,
    /// or nil for a day that does not exist (such as 2025-02-29).
    static func secondsSinceEpoch(year: Int, month: Int, day: Int) -> Int? {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        let isLeapYear = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthLengths = [31, isLeapYear ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...monthLengths[month - 1]).contains(day) else { return nil }

        // Leap days in the years before `year`, counted from year 1 and then taken relative to 1970.
        func leapDays(before year: Int) -> Int {
            let previous = year - 1
            return previous / 4 - previous / 100 + previous / 400
        }
        let daysBeforeYear = 365 * (year - 1970) + leapDays(before: year) - leapDays(before: 1970)
        let daysBeforeMonth = monthLengths[..<(month - 1)].reduce(0, +)
        return (daysBeforeYear + daysBeforeMonth + day - 1) * 86_400
    }

    /// A cursor over the ASCII text of a timestamp.
    private struct Reader {
        private let bytes: [UInt8]
        private var position = 0

        init(_ text: String) {
            bytes = Array(text.utf8)
        }

        var isAtEnd: Bool { position == bytes.count }

        /// Consumes `character` when it comes next.
        mutating func skip(_ character: Character) -> Bool {
            guard let ascii = character.asciiValue, position < bytes.count, bytes[position] == ascii else {
                return false
            }
            position += 1
            return true
        }

        /// Consumes a run of one or more digits.
        mutating func readDigits() -> String? {
            let start = position
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
                position += 1
            }
            guard position > start else { return nil }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// Consumes exactly `digits` digits.
        mutating func readNumber(digits: Int) -> Int? {
            guard position + digits <= bytes.count else { return nil }
            let slice = bytes[position..<(position + digits)]
            guard slice.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            position += digits
            return slice.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }

        /// Consumes `YYYY-MM-DD`.
        mutating func readDate() -> (Int, Int, Int)? {
            guard let year = readNumber(digits: 4), skip("-"),
                let month = readNumber(digits: 2), skip("-"),
                let day = readNumber(digits: 2)
            else { return nil }
            return (year, month, day)
        }

        /// Consumes a zone (`UTC`, `GMT`, `Z`, `+HHMM`, `+HH:MM`, `-HH`) and returns its offset east of UTC in
        /// seconds.
        mutating func readZone() -> Int? {
            for name in ["UTC", "GMT", "Z", "z"] where hasRemaining(name) {
                position += name.utf8.count
                return 0
            }

            let sign: Int
            if skip("+") {
                sign = 1
            } else if skip("-") {
                sign = -1
            } else {
                return nil
            }
            guard let hours = readNumber(digits: 2), hours <= 23 else { return nil }
            _ = skip(":")
            let minutes = isAtEnd ? 0 : readNumber(digits: 2)
            guard let minutes, minutes <= 59 else { return nil }
            return sign * (hours * 3600 + minutes * 60)
        }

        private func hasRemaining(_ text: String) -> Bool {
            Array(bytes[position...]) == Array(text.utf8)
        }
    }
}
