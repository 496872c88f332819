import Foundation
import Testing
@testable import XapiPlatforms

/// The hand-written parsers for expiry and retry timestamps.
@Suite struct ExpirationDateTests {
    /// 2021-10-07T19:07:53Z as seconds since 1970, computed with `date -u -d 2021-10-07T19:07:53Z +%s`.
    static let observedGitHubExpiry: TimeInterval = 1_633_633_673

    @Test func gitHubObservedFormatIsParsed() throws {
        let date = try #require(ExpirationDate.parseTimestamp("2021-10-07 19:07:53 UTC"))

        #expect(date.timeIntervalSince1970 == Self.observedGitHubExpiry)
    }

    @Test(arguments: [
        ("2026-12-01 00:00:00 -0800", "2026-12-01T08:00:00Z"),
        ("2026-12-01 00:00:00 +0530", "2026-11-30T18:30:00Z"),
        ("2026-12-01 00:00:00 +05:30", "2026-11-30T18:30:00Z"),
        ("2026-12-01 00:00:00 GMT", "2026-12-01T00:00:00Z"),
        ("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        ("2026-12-01T00:00:00+02:00", "2026-11-30T22:00:00Z"),
        ("2026-12-01T00:00:00.250Z", "2026-12-01T00:00:00Z"),
        ("  2024-02-29 23:59:59 UTC  ", "2024-02-29T23:59:59Z"),
        ("1970-01-01 00:00:00 UTC", "1970-01-01T00:00:00Z"),
    ])
    func otherFormsAreParsed(input: String, expected: String) throws {
        let date = try #require(ExpirationDate.parseTimestamp(input))
        let reference = try #require(try? Date(expected, strategy: .iso8601))

        #expect(abs(date.timeIntervalSince(reference)) < 0.5, "parsed \(date) for \(input)")
    }

    @Test func fractionalSecondsAreKept() throws {
        let date = try #require(ExpirationDate.parseTimestamp("2026-12-01T00:00:00.250Z"))

        #expect(date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) == 0.25)
    }

    @Test(arguments: [
        "",
        "2021-10-07",
        "2021-10-07 19:07:53",
        "2021-10-07 19:07 UTC",
        "2021-13-07 19:07:53 UTC",
        "2021-02-29 19:07:53 UTC",
        "2021-04-31 00:00:00 UTC",
        "2021-10-07 24:00:00 UTC",
        "2021-10-07 19:60:00 UTC",
        "2021-10-07 19:07:53 PST",
        "2021-10-07 19:07:53 +2500",
        "2021-10-07 19:07:53 UTC trailing",
        "21-10-07 19:07:53 UTC",
        "Thu, 07 Oct 2021 19:07:53 GMT",
    ])
    func malformedTimestampIsRejected(input: String) {
        #expect(ExpirationDate.parseTimestamp(input) == nil)
    }

    @Test func dayStartIsMidnightUTC() throws {
        let date = try #require(ExpirationDate.parseDayStart("2026-12-01"))
        let reference = try Date("2026-12-01T00:00:00Z", strategy: .iso8601)

        #expect(date == reference)
    }

    @Test(arguments: ["2026-12-1", "2026-12-01T00:00:00Z", "2026-00-10", "2023-02-29", "tomorrow"])
    func malformedDayIsRejected(input: String) {
        #expect(ExpirationDate.parseDayStart(input) == nil)
    }

    @Test func epochDaysMatchKnownDates() {
        #expect(ExpirationDate.secondsSinceEpoch(year: 1970, month: 1, day: 1) == 0)
        #expect(ExpirationDate.secondsSinceEpoch(year: 2000, month: 3, day: 1) == 951_868_800)
        #expect(ExpirationDate.secondsSinceEpoch(year: 1969, month: 12, day: 31) == -86_400)
        #expect(ExpirationDate.secondsSinceEpoch(year: 2100, month: 2, day: 29) == nil)
        #expect(ExpirationDate.secondsSinceEpoch(year: 2000, month: 2, day: 29) == 951_782_400)
    }

    @Test func retryAfterSecondsCountFromNow() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)

        #expect(RetryTime.fromRetryAfter("120", now: now) == now.addingTimeInterval(120))
        #expect(RetryTime.fromRetryAfter(" 0 ", now: now) == now)
        #expect(RetryTime.fromRetryAfter(nil, now: now) == nil)
        #expect(RetryTime.fromRetryAfter("-5", now: now) == nil)
        #expect(RetryTime.fromRetryAfter("soon", now: now) == nil)
    }

    @Test func retryAfterHTTPDateIsParsed() throws {
        let date = try #require(RetryTime.fromRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: Date()))

        #expect(date.timeIntervalSince1970 == 784_111_777)
    }

    @Test func resetHeaderReadsEpochOrDelay() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)

        #expect(RetryTime.fromResetHeader("1700000300", now: now) == Date(timeIntervalSince1970: 1_700_000_300))
        #expect(RetryTime.fromResetHeader("30", now: now) == now.addingTimeInterval(30))
        #expect(RetryTime.fromResetHeader("later", now: now) == nil)
    }
}
