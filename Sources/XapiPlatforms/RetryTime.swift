import Foundation

/// Parsers for the headers that set when a rate-limited client may call again.
enum RetryTime {
    /// The wait after which a rate-limited request is retried when the server names no time.
    static let defaultWait: TimeInterval = 60

    /// Reads `Retry-After` (RFC 9110): a number of seconds, or an HTTP date such as
    /// `Wed, 21 Oct 2015 07:28:00 GMT`. Returns nil when the header is absent or malformed.
    static func fromRetryAfter(_ value: String?, now: Date) -> Date? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 {
            return now.addingTimeInterval(TimeInterval(seconds))
        }
        return parseHTTPDate(value)
    }

    /// Reads a reset header such as `x-ratelimit-reset` or `RateLimit-Reset`.
    ///
    /// GitHub and GitLab send Unix epoch seconds; some servers send seconds from now instead. A value below
    /// 1,000,000,000 (September 2001 as an epoch time) is taken as seconds from now.
    static func fromResetHeader(_ value: String?, now: Date) -> Date? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), let number = Double(value), number >= 0 else {
            return nil
        }
        if number < 1_000_000_000 {
            return now.addingTimeInterval(number)
        }
        return Date(timeIntervalSince1970: number)
    }

    /// Parses the IMF-fixdate form of an HTTP date, `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int(parts[1]),
            let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3])
        else { return nil }

        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (0...23).contains(clock[0]), (0...59).contains(clock[1]),
            (0...60).contains(clock[2]),
            let midnight = ExpirationDate.secondsSinceEpoch(year: year, month: monthIndex + 1, day: day)
        else { return nil }
        return Date(timeIntervalSince1970: Double(midnight + clock[0] * 3600 + clock[1] * 60 + clock[2]))
    }
}
