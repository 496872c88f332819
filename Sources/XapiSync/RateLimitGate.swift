public import Foundation
import XapiCore
public import XapiHTTP
import Synchronization

/// A transport decorator that stops calling a host with a credential once the host has rate-limited it.
///
/// The gate is keyed by the request's origin (scheme, host and port) and its credential. A rate limit is a
/// 429, or a 403 with `Retry-After`, `x-ratelimit-remaining: 0` or a message about a rate limit, as GitHub
/// sends for primary and secondary limits. After one, the gate closes that key until the reset time the
/// response names, or for 60 seconds when it names none. While the key is closed, the gate sends
/// nothing and returns a synthetic 429 with `Retry-After`, which every platform adapter reports as
/// `rateLimited` with `retryAt`.
public final class RateLimitGate: HTTPTransport {
    /// Header on synthetic responses, so callers can tell that nothing was sent.
    public static let syntheticHeader = "X-Xapi-Not-Sent"

    /// The wait assumed when a rate-limit response names no reset time, in seconds.
    static let defaultWait: TimeInterval = 60

    private struct Key: Hashable {
        var origin: String
        /// The credential's form and name (`bearer`, `header:PRIVATE-TOKEN`, `basic:USER`).
        var form: String
        var secret: Secret
    }

    private struct State {
        var closedUntil: [Key: Date] = [:]
        var callsNotSent = 0
    }

    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    /// Wraps `transport`; `now` is the clock that decides when a closed key opens again.
    public init(wrapping transport: any HTTPTransport, now: @escaping @Sendable () -> Date = { Date() }) {
        self.transport = transport
        self.now = now
    }

    /// The number of calls the gate rejected itself, without sending them, because their key was closed.
    public var callsNotSent: Int { state.withLock { $0.callsNotSent } }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let key = Self.key(for: request)
        let current = now()

        if let key, let until = closedUntil(key, at: current) {
            return Self.syntheticResponse(for: request, until: until, now: current)
        }

        let response = try await transport.send(request)

        if let key, let until = Self.rateLimitReset(of: response, now: now()) {
            state.withLock { state in
                let previous = state.closedUntil[key] ?? .distantPast
                state.closedUntil[key] = max(previous, until)
            }
        }
        return response
    }

    /// The time until which `key` stays closed, counting a call rejected now; nil when it is open.
    private func closedUntil(_ key: Key, at current: Date) -> Date? {
        state.withLock { state -> Date? in
            guard let until = state.closedUntil[key] else { return nil }
            guard until > current else {
                state.closedUntil[key] = nil
                return nil
            }
            state.callsNotSent += 1
            return until
        }
    }

    // MARK: - Recognizing rate limits

    /// Returns when the caller may call again if `response` is a rate limit, else nil.
    static func rateLimitReset(of response: HTTPResponse, now: Date) -> Date? {
        guard response.status == 429 || response.status == 403 else { return nil }

        let retryAfter = response.headers["Retry-After"].flatMap { retryAfterDate($0, now: now) }
        let remaining = response.headers["x-ratelimit-remaining"] ?? response.headers["RateLimit-Remaining"]
        let exhausted = remaining?.trimmingWhitespaceAndNewlines() == "0"
        let body = response.bodyText.lowercased()
        let mentionsLimit = body.contains("rate limit") || body.contains("abuse detection")

        guard response.status == 429 || retryAfter != nil || exhausted || mentionsLimit else { return nil }

        if let retryAfter {
            return retryAfter
        }
        let reset = response.headers["x-ratelimit-reset"] ?? response.headers["RateLimit-Reset"]
        if let reset = reset.flatMap({ resetDate($0, now: now) }) {
            return reset
        }
        return now.addingTimeInterval(defaultWait)
    }

    /// Reads `Retry-After` in seconds, or as an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`).
    static func retryAfterDate(_ value: String, now: Date) -> Date? {
        let text = value.trimmingWhitespaceAndNewlines()
        if let seconds = Int(text), seconds >= 0 {
            return now.addingTimeInterval(TimeInterval(seconds))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.date(from: text)
    }

    /// Reads a reset header: Unix epoch seconds, or seconds from now for values below 1,000,000,000
    /// (September 2001 as an epoch time), which some servers send instead.
    static func resetDate(_ value: String, now: Date) -> Date? {
        guard let number = Double(value.trimmingWhitespaceAndNewlines()), number >= 0 else { return nil }
        if number < 1_000_000_000 {
            return now.addingTimeInterval(number)
        }
        return Date(timeIntervalSince1970: number)
    }

    // MARK: - Keys and synthetic responses

    private static func key(for request: HTTPRequest) -> Key? {
        guard let credential = request.credential,
            let components = URLComponents(string: request.url),
            let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased()
        else { return nil }

        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let origin = "\(scheme)://\(host):\(port)"
        switch credential {
        case .bearer(let secret):
            return Key(origin: origin, form: "bearer", secret: secret)
        case .tokenScheme(let secret):
            return Key(origin: origin, form: "token", secret: secret)
        case .basic(let username, let password):
            return Key(origin: origin, form: "basic:\(username)", secret: password)
        case .header(let name, let value):
            return Key(origin: origin, form: "header:\(name.lowercased())", secret: value)
        }
    }

    private static func syntheticResponse(for request: HTTPRequest, until: Date, now: Date) -> HTTPResponse {
        let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
        let untilText = ISO8601DateFormatter().string(from: until)
        let message = "not sent: an earlier call with this credential was rate limited until \(untilText)"
        let body = "{\"message\":\"\(message)\",\"error\":{\"message\":\"\(message)\"}}"
        let headers = HTTPHeaders([
            ("Retry-After", String(seconds)),
            ("Content-Type", "application/json"),
            (syntheticHeader, "rate-limited"),
        ])
        return HTTPResponse(status: 429, headers: headers, body: Array(body.utf8), url: request.url)
    }
}
