import Foundation
import XapiCore
public import XapiHTTP
import XapiPlatforms
import XapiStore

extension Connector {
    /// Checks the tokens of every integration (or those on `options.platform`) concurrently, records the
    /// states found, and returns one entry per integration.
    ///
    /// All checks share one `MultiplexedHTTPClient` behind a `RateLimitGate`. After a host rate-limits a
    /// token, no further call with that token goes to that host until the reset time. The integrations
    /// left unchecked are reported as `unknown` ("rate limited until T"), never as expired. States are
    /// stored with the credential version read at the start, so the result for a token that was replaced
    /// during the batch is dropped. A check that succeeds also stores the token's account, expiry and
    /// scopes under the same version rule.
    ///
    /// An integration whose stored settings cannot be used (a base URL the adapter rejects, an unknown
    /// platform or credential kind, a token that cannot be unsealed) does not stop the batch: it is
    /// reported and stored as `needsAttention` with the problem as its detail.
    ///
    /// - Parameters:
    ///   - transport: the transport under the gate; nil creates a `MultiplexedHTTPClient` with the
    ///     options' limits and the connector's network settings.
    ///   - progress: called after each integration with the number checked and the total.
    public func checkHealth(
        _ options: HealthCheckOptions,
        as actor: String,
        transport: (any HTTPTransport)? = nil,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> HealthReport {
        let startedAt = Date()
        let clock = ContinuousClock()
        let started = clock.now

        let candidates = try await read { reader -> [HealthCandidate] in
            try self.authorize(actor, for: .read, in: reader)
            return try reader.integrations().compactMap { record -> HealthCandidate? in
                if let platform = options.platform, record.platform != platform.rawValue {
                    return nil
                }
                do {
                    return HealthCandidate(record: record, token: try reader.token(for: record), problem: nil)
                } catch {
                    return HealthCandidate(record: record, token: Secret(""), problem: "\(error)")
                }
            }
        }

        let client = transport ?? MultiplexedHTTPClient(
            settings: configuration.network,
            limits: MultiplexedHTTPClient.Limits(
                maxConcurrentTransfers: options.concurrency,
                maxConnectionsPerHost: options.maxPerHost
            ),
            log: configuration.log
        )
        let gate = RateLimitGate(wrapping: client)
        let warning = options.expiryWarning ?? configuration.expiryWarning

        var entries: [HealthEntry?] = Array(repeating: nil, count: candidates.count)
        var pendingStates: [HealthResult] = []
        var scheduler = CredentialScheduler(
            keys: candidates.map(\.credentialKey),
            maxPerKey: options.maxPerCredential
        )
        var adapters: [String: any PlatformAdapter] = [:]
        var finished = 0

        try await withThrowingTaskGroup(of: (Int, HealthCheck).self) { group in
            var running = 0
            while true {
                // Fill the free slots, within each credential's share.
                while running < options.concurrency, let index = scheduler.next() {
                    let candidate = candidates[index]
                    let context = VerificationContext(
                        now: self.configuration.now(),
                        expiryWarning: warning,
                        knownExpiry: candidate.record.expiresAt
                    )
                    let adapter: any PlatformAdapter
                    do {
                        adapter = try cachedAdapter(for: candidate, transport: gate, cache: &adapters)
                    } catch {
                        let check = candidate.unusable("\(error)")
                        group.addTask { (index, check) }
                        running += 1
                        continue
                    }
                    group.addTask {
                        (index, await candidate.verify(with: adapter, context: context))
                    }
                    running += 1
                }

                guard let (index, check) = try await group.next() else { break }
                running -= 1
                scheduler.finish(index)
                finished += 1
                progress?(finished, candidates.count)

                pendingStates.append(HealthResult(index: index, candidate: candidates[index], check: check))
                if pendingStates.count >= Self.healthWriteBatch {
                    try await storeHealthStates(pendingStates, into: &entries)
                    pendingStates.removeAll(keepingCapacity: true)
                }
            }
        }
        try await storeHealthStates(pendingStates, into: &entries)

        return HealthReport(
            entries: entries.compactMap { $0 },
            startedAt: startedAt,
            duration: TimeInterval(Double(started.duration(to: clock.now).wholeMilliseconds) / 1000),
            callsNotSent: gate.callsNotSent
        )
    }

    /// Results stored per store transaction: one commit per result would cost more than the checks.
    static let healthWriteBatch = 256

    /// Stores the states of finished checks in one transaction and turns them into entries.
    private func storeHealthStates(_ results: [HealthResult], into entries: inout [HealthEntry?]) async throws {
        guard !results.isEmpty else { return }
        let items = results.map { (record: $0.candidate.record, check: $0.check) }

        let storedWarning = configuration.expiryWarning
        let accepted = try await write { writer -> [Bool] in
            let now = Date()
            return try items.map { item -> Bool in
                guard var state = item.check.state else { return false }
                let report = item.check.report
                // `--expiring-within` widens what this run reports, not what is stored: the stored state
                // keeps using the configured warning window.
                if state == .expiring, let expiry = report.expiresAt, expiry > now.addingTimeInterval(storedWarning) {
                    state = .active
                }
                let recorded = try writer.recordState(
                    id: item.record.id,
                    state: state,
                    detail: report.detail,
                    credentialVersion: item.record.credentialVersion,
                    at: now
                )
                // Imported integrations have no account, expiry or scopes until a check finds them.
                if recorded, report.status == .valid || report.status == .expiringSoon {
                    try writer.recordTokenFacts(
                        id: item.record.id,
                        credentialVersion: item.record.credentialVersion,
                        account: report.account,
                        expiresAt: report.expiresAt,
                        scopes: report.scopes,
                        at: now
                    )
                }
                return recorded
            }
        }

        for (position, result) in results.enumerated() {
            let record = result.candidate.record
            let report = result.check.report
            let state = result.check.state ?? .unknown
            if state != .unknown && !accepted[position] {
                configuration.log.info(
                    "dropped a health result for a replaced token",
                    ["integration": record.name, "credential_version": String(record.credentialVersion)]
                )
            }
            entries[result.index] = HealthEntry(
                name: record.name,
                platform: record.platform,
                repository: record.repository,
                branch: record.branch,
                state: state,
                expiresAt: report.expiresAt ?? record.expiresAt,
                detail: Self.healthDetail(report),
                report: report,
                recorded: accepted[position]
            )
        }
    }

    /// Returns the detail of an entry: the report's, led by "rate limited until T" for a rate limit.
    static func healthDetail(_ report: TokenReport) -> String {
        guard report.status == .rateLimited else { return report.detail }
        let until = report.retryAt.map { ISO8601DateFormatter().string(from: $0) } ?? "an unknown time"
        return "rate limited until \(until), not checked: \(report.detail)"
    }

    private func cachedAdapter(
        for candidate: HealthCandidate,
        transport: any HTTPTransport,
        cache: inout [String: any PlatformAdapter]
    ) throws -> any PlatformAdapter {
        let key = candidate.record.platform + " " + (candidate.record.baseURL ?? "")
        if let adapter = cache[key] {
            return adapter
        }
        let location = try candidate.record.location()
        let adapter: any PlatformAdapter
        do {
            adapter = try PlatformAdapters.adapter(for: location.platform, baseURL: location.baseURL, transport: transport)
        } catch {
            throw ConnectorError(.invalidInput, String(describing: error))
        }
        cache[key] = adapter
        return adapter
    }
}

/// The outcome of checking one integration: the verification report, and the state it leads to (nil when
/// the check could not tell).
struct HealthCheck: Sendable {
    let report: TokenReport
    let state: IntegrationState?
}

/// A finished check waiting to be stored, with the position of its entry in the report.
struct HealthResult: Sendable {
    let index: Int
    let candidate: HealthCandidate
    let check: HealthCheck
}

/// An integration to check, with its token read in the same transaction as its record.
struct HealthCandidate: Sendable {
    let record: IntegrationRecord
    /// The unsealed token; empty when `problem` is set.
    let token: Secret
    /// The reason the stored integration cannot be checked, such as a token that cannot be unsealed, or
    /// nil when it can be checked.
    let problem: String?

    /// The server and token, which the per-credential limit counts by.
    var credentialKey: String {
        var hasher = Hasher()
        hasher.combine(token)
        return record.platform + " " + (record.baseURL ?? "") + " " + String(hasher.finalize())
    }

    /// Runs the adapter's verification; a record that cannot be read or used becomes a `needsAttention`
    /// check.
    func verify(with adapter: any PlatformAdapter, context: VerificationContext) async -> HealthCheck {
        if let problem {
            return unusable(problem)
        }
        let location: RepositoryLocation
        let kind: CredentialKind
        do {
            location = try record.location()
            kind = try CredentialKindCoding.decode(record.credentialKind)
        } catch {
            return unusable("\(error)")
        }
        let report = await adapter.verify(token: AccessToken(kind: kind, secret: token), at: location, context: context)
        return HealthCheck(report: report, state: IntegrationState(report: report))
    }

    /// Returns the check of an integration whose stored settings cannot be used, which needs someone to
    /// fix or remove it. The report's status is `unexpectedResponse` because no platform was asked.
    func unusable(_ problem: String) -> HealthCheck {
        let detail = "integration '\(record.name)' cannot be checked: \(problem). Fix it with "
            + "`xapi-git integration edit \(record.name)` or remove it"
        return HealthCheck(report: TokenReport(status: .unexpectedResponse, detail: detail), state: .needsAttention)
    }
}

/// Hands out integrations so that at most `maxPerKey` with the same credential key are in flight, taking
/// the keys in turn so that one busy token does not hold up the others.
struct CredentialScheduler {
    private var queues: [String: [Int]] = [:]
    private var heads: [String: Int] = [:]
    private var inFlight: [String: Int] = [:]
    private var ready: [String] = []
    private var readyHead = 0
    private var readySet: Set<String> = []
    private let keys: [String]
    private let maxPerKey: Int

    init(keys: [String], maxPerKey: Int) {
        self.keys = keys
        self.maxPerKey = max(1, maxPerKey)
        for (index, key) in keys.enumerated() {
            if queues[key] == nil {
                ready.append(key)
                readySet.insert(key)
            }
            queues[key, default: []].append(index)
        }
    }

    /// Returns the next integration to check, or nil when none may start now.
    mutating func next() -> Int? {
        while readyHead < ready.count {
            let key = ready[readyHead]
            readyHead += 1
            readySet.remove(key)

            let head = heads[key, default: 0]
            guard let queue = queues[key], head < queue.count, inFlight[key, default: 0] < maxPerKey else { continue }
            heads[key] = head + 1
            inFlight[key, default: 0] += 1
            requeueIfStartable(key)
            compactReady()
            return queue[head]
        }
        return nil
    }

    /// Marks the check of `index` as finished, which frees a place for its credential.
    mutating func finish(_ index: Int) {
        let key = keys[index]
        inFlight[key, default: 1] -= 1
        requeueIfStartable(key)
    }

    private mutating func requeueIfStartable(_ key: String) {
        guard !readySet.contains(key), let queue = queues[key], heads[key, default: 0] < queue.count,
            inFlight[key, default: 0] < maxPerKey
        else { return }
        ready.append(key)
        readySet.insert(key)
    }

    /// Drops the consumed front of `ready` now and then, so that it does not grow without bound.
    private mutating func compactReady() {
        if readyHead > 1024 && readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
    }
}
