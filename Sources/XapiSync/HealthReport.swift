public import Foundation
public import XapiPlatforms
public import XapiStore

/// The settings of `Connector.checkHealth`: which integrations it checks and how many calls it makes at once.
public struct HealthCheckOptions: Sendable {
    /// Integrations checked at once; each has at most one request in flight.
    public var concurrency: Int
    /// Requests in flight at once to one origin (scheme, host and port).
    public var maxPerHost: Int
    /// The maximum number of integrations checked at once with the same token on the same server. Bursts
    /// with one token are what secondary rate limits (GitHub's among them) reject with 403 or 429, so the
    /// default stays low.
    public var maxPerCredential: Int
    /// A token that expires within this interval is reported as expiring; nil uses the connector's window.
    public var expiryWarning: TimeInterval?
    /// Only integrations on this platform; nil checks every platform.
    public var platform: Platform?

    public init(
        concurrency: Int = 64,
        maxPerHost: Int? = nil,
        maxPerCredential: Int = 2,
        expiryWarning: TimeInterval? = nil,
        platform: Platform? = nil
    ) {
        self.concurrency = max(1, concurrency)
        self.maxPerHost = max(1, maxPerHost ?? concurrency)
        self.maxPerCredential = max(1, maxPerCredential)
        self.expiryWarning = expiryWarning
        self.platform = platform
    }
}

/// The check of one integration in a health batch.
public struct HealthEntry: Sendable {
    public let name: String
    public let platform: String
    public let repository: String
    public let branch: String
    /// The state the check found: `unknown` when it could not tell (rate limited, unreachable).
    public let state: IntegrationState
    /// When the token expires, from the check or else from the store.
    public let expiresAt: Date?
    /// One sentence on what was found and what to do.
    public let detail: String
    /// The verification report behind the state.
    public let report: TokenReport
    /// Whether the state was stored: false for `unknown`, and for a result dropped because the token was
    /// replaced while the check ran.
    public let recorded: Bool

    /// Whether the integration needs someone to act: expired, expiring within the window, or needing
    /// attention.
    public var needsAttention: Bool {
        state == .expired || state == .expiring || state == .needsAttention
    }
}

/// The result of a health batch, entries in the order of the integrations' names.
public struct HealthReport: Sendable {
    /// How the batch ended, which decides the command line's exit code.
    public enum Outcome: Sendable, Equatable {
        /// Every integration checked is active.
        case allHealthy
        /// At least one integration is expired, expiring or needs attention.
        case needsAttention
        /// Some integrations could not be checked and none needs attention.
        case someUnchecked
    }

    public let entries: [HealthEntry]
    public let startedAt: Date
    public let duration: TimeInterval
    /// The number of calls the rate-limit gate rejected itself instead of sending them.
    public let callsNotSent: Int

    public var outcome: Outcome {
        if entries.contains(where: \.needsAttention) {
            return .needsAttention
        }
        if entries.contains(where: { $0.state == .unknown }) {
            return .someUnchecked
        }
        return .allHealthy
    }

    /// The number of entries in each state.
    public var counts: [IntegrationState: Int] {
        entries.reduce(into: [:]) { counts, entry in counts[entry.state, default: 0] += 1 }
    }
}
