import Foundation
import LabSupport
import Synchronization
import Testing
import XapiCore
import XapiHTTP
import XapiPlatforms
import XapiStore
import XapiSync

/// Forwards every request to the real client and records the status each credential got.
final class CountingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let sent = Mutex<[(secret: Secret, status: Int)]>([])

    init(_ inner: any HTTPTransport) {
        self.inner = inner
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await inner.send(request)
        let secret: Secret?
        switch request.credential {
        case .bearer(let value), .tokenScheme(let value): secret = value
        case .basic(_, let password): secret = password
        case .header(_, let value): secret = value
        case nil: secret = nil
        }
        if let secret {
            sent.withLock { $0.append((secret, response.status)) }
        }
        return response
    }

    /// The statuses of the requests sent with `secret`, in order.
    func statuses(for secret: Secret) -> [Int] {
        sent.withLock { calls in calls.filter { $0.secret == secret }.map(\.status) }
    }
}

@Suite("Batch health")
struct HealthTests {
    @Test("mixed states in one batch")
    func mixedStates() async throws {
        let fixture = try await LabFixture()
        let lab = fixture.lab
        let expired = try await lab.addToken(platform: "github", user: fixture.writer)
        let revoked = try await lab.addToken(platform: "github", user: fixture.writer)
        let soon = try await lab.addToken(
            platform: "github", user: fixture.writer,
            expires: ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 24 * 3600)))
        let outsider = Lab.uniqueName("outsider")
        let noAccess = try await lab.addToken(platform: "github", user: outsider)

        try await fixture.connector.importIntegrations(
            [
                item(fixture, "valid", fixture.token),
                item(fixture, "expired", expired),
                item(fixture, "revoked", revoked),
                item(fixture, "soon", soon),
                item(fixture, "no-access", noAccess),
            ],
            as: fixture.owner
        )
        try await lab.expire(expired)
        try await lab.revoke(revoked)

        let report = try await fixture.connector.checkHealth(HealthCheckOptions(concurrency: 8), as: fixture.owner)
        let states = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.name, $0.state) })

        #expect(states["valid"] == .active)
        #expect(states["expired"] == .expired)
        #expect(states["revoked"] == .expired)
        #expect(states["soon"] == .expiring)
        #expect(states["no-access"] == .needsAttention)
        #expect(report.outcome == .needsAttention)

        let stored = try await fixture.connector.integration(named: "revoked", as: fixture.owner)
        #expect(stored.state == .expired)
    }

    @Test("rate limit mid-batch stops calls")
    func rateLimitMidBatch() async throws {
        let fixture = try await LabFixture()
        let lab = fixture.lab
        let limited = fixture.token
        let other = try await lab.addToken(platform: "github", user: fixture.writer)
        var items = (1...6).map { item(fixture, "limited-\($0)", limited) }
        items.append(item(fixture, "other", other))
        try await fixture.connector.importIntegrations(items, as: fixture.owner)

        // After six responses to calls with the limited token (two full checks of three calls), the lab
        // rate-limits that token.
        let client = MultiplexedHTTPClient(settings: NetworkSettings(caFile: lab.caFile))
        let counting = CountingTransport(client)
        let hooked = RateLimitAfter(counting, token: limited, after: 6, lab: lab)

        let options = HealthCheckOptions(concurrency: 1, maxPerCredential: 1)
        let report = try await fixture.connector.checkHealth(options, as: fixture.owner, transport: hooked)
        try await lab.run(["ratelimit", "clear", "-"], stdin: limited.revealed())
        let states = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.name, $0) })

        #expect(states["limited-1"]?.state == .active)
        #expect(states["limited-2"]?.state == .active)
        for name in ["limited-3", "limited-4", "limited-5", "limited-6"] {
            #expect(states[name]?.state == .unknown)
            #expect(states[name]?.detail.hasPrefix("rate limited until") == true)
        }
        #expect(states["other"]?.state == .active)
        #expect(report.outcome == .someUnchecked)

        // Six responses, one rate-limited call, and no call after it.
        let statuses = counting.statuses(for: limited)
        #expect(statuses.count == 7)
        #expect(statuses.last == 403 || statuses.last == 429)
        #expect(report.callsNotSent == 3)
    }

    @Test("secondary limit 403 is unknown")
    func secondaryLimit() async throws {
        let fixture = try await LabFixture()
        try await fixture.connector.importIntegrations(
            [item(fixture, "first", fixture.token), item(fixture, "second", fixture.token)],
            as: fixture.owner
        )
        try await fixture.lab.run(
            ["ratelimit", "set", "--platform", "github", "--kind", "secondary", "--reset-in", "300", "-"],
            stdin: fixture.token.revealed()
        )
        let client = MultiplexedHTTPClient(settings: NetworkSettings(caFile: fixture.lab.caFile))
        let counting = CountingTransport(client)
        let report = try await fixture.connector.checkHealth(
            HealthCheckOptions(concurrency: 1, maxPerCredential: 1), as: fixture.owner, transport: counting)
        try await fixture.lab.run(["ratelimit", "clear", "-"], stdin: fixture.token.revealed())

        #expect(report.entries.map(\.state) == [.unknown, .unknown])
        #expect(report.entries.allSatisfy { $0.report.status == .rateLimited })
        #expect(counting.statuses(for: fixture.token) == [403])
        #expect(report.outcome == .someUnchecked)
    }

    @Test("reconnect during batch drops stale result")
    func reconnectDuringBatch() async throws {
        let fixture = try await LabFixture()
        let owner = String(fixture.repository.split(separator: "/")[0])
        try await fixture.connector.importIntegrations([item(fixture, "specs", fixture.token)], as: fixture.owner)

        // The old token loses access through SSO, the new one is authorized.
        let fresh = try await fixture.lab.addToken(platform: "github", user: fixture.writer)
        try await fixture.lab.run(["sso", "enforce", "--platform", "github", owner])
        try await fixture.lab.run(["sso", "authorize", "-", owner], stdin: fresh.revealed())
        let review = try await fixture.connector.reviewReconnect(named: "specs", token: fresh, as: fixture.owner)

        // Only this test's repository calls get the delay, so the batch is still running at the reconnect.
        let slowPrefix = "/github/api/v3/repos/\(owner)/"
        try await fixture.lab.run(["latency", "3000", "--prefix", slowPrefix])
        let batch = Task { try await fixture.connector.checkHealth(HealthCheckOptions(), as: fixture.owner) }
        try await Task.sleep(for: .seconds(1))
        let reconnected: IntegrationRecord
        let report: HealthReport
        do {
            reconnected = try await fixture.connector.applyReconnect(review, as: fixture.owner)
            report = try await batch.value
        } catch {
            try await fixture.lab.run(["latency", "0", "--prefix", slowPrefix])
            throw error
        }
        try await fixture.lab.run(["latency", "0", "--prefix", slowPrefix])

        #expect(report.entries.first?.state == .needsAttention)
        #expect(report.entries.first?.recorded == false)
        let stored = try await fixture.connector.integration(named: "specs", as: fixture.owner)
        #expect(stored.state == reconnected.state)
        #expect(stored.state == .active)
    }

    private func item(_ fixture: LabFixture, _ name: String, _ token: Secret) -> ImportedIntegration {
        ImportedIntegration(
            spec: IntegrationSpec(
                name: name,
                platform: .github,
                baseURL: fixture.lab.baseURL("github"),
                repository: fixture.repository,
                branch: "main",
                folder: ""
            ),
            token: AccessToken(secret: token)
        )
    }
}

/// Runs `labctl ratelimit set` for `token` once `after` responses with it have arrived.
final class RateLimitAfter: HTTPTransport {
    private let inner: any HTTPTransport
    private let token: Secret
    private let after: Int
    private let lab: Lab
    private let answered = Mutex(0)

    init(_ inner: any HTTPTransport, token: Secret, after: Int, lab: Lab) {
        self.inner = inner
        self.token = token
        self.after = after
        self.lab = lab
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await inner.send(request)
        guard request.credential == .bearer(token) else { return response }
        let count = answered.withLock { count in
            count += 1
            return count
        }
        if count == after {
            try await lab.run(
                ["ratelimit", "set", "--platform", "github", "--reset-in", "300", "-"], stdin: token.revealed())
        }
        return response
    }
}
