import Foundation
import LabSupport
import Testing
import XapiCore
@testable import XapiHTTP

/// The multi-interface client against the lab: concurrency, connection reuse, timeouts, TLS and size limits.
@Suite struct MultiplexedHTTPClientTests {
    let lab: LabEndpoints

    init() throws {
        lab = try LabEndpoints.shared()
    }

    func client(
        connectTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(30),
        maxResponseBytes: Int = 16 << 20,
        limits: MultiplexedHTTPClient.Limits = MultiplexedHTTPClient.Limits()
    ) -> MultiplexedHTTPClient {
        MultiplexedHTTPClient(
            settings: NetworkSettings(
                caFile: lab.caFile,
                connectTimeout: connectTimeout,
                operationTimeout: operationTimeout,
                maxResponseBytes: maxResponseBytes
            ),
            limits: limits
        )
    }

    @Test func hundredDelayedRequestsRunConcurrently() async throws {
        // The delay applies to a path of this test alone, so other tests keep their speed. The lab has no
        // endpoint there, so it returns 404 for each request after the delay.
        let prefix = "/_lab/" + Lab.uniqueName("multiplexed")
        let labControl = try Lab.shared()
        try await labControl.run(["latency", "200", "--prefix", prefix])
        let client = client(limits: MultiplexedHTTPClient.Limits(maxConcurrentTransfers: 50))

        let clock = ContinuousClock()
        let started = clock.now
        let statuses: [Int]
        do {
            statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<100 {
                    group.addTask { try await client.send(HTTPRequest(url: lab.url + prefix + "?n=\(index)")).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        } catch {
            try await labControl.run(["latency", "0", "--prefix", prefix])
            throw error
        }
        let elapsed = started.duration(to: clock.now)
        try await labControl.run(["latency", "0", "--prefix", prefix])

        #expect(statuses.count == 100)
        #expect(statuses.allSatisfy { $0 == 404 })
        // Sequentially this takes 100 × 200 ms = 20 s; 50 at a time need two rounds.
        #expect(elapsed < .seconds(5))
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let client = client()

        for index in 0..<10 {
            let response = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo?n=\(index)"))
            #expect(response.status == 200)
        }

        #expect(client.connectionsOpened == 1)
    }

    @Test func perHostLimitCapsConnections() async throws {
        let client = client(limits: MultiplexedHTTPClient.Limits(maxConcurrentTransfers: 20, maxConnectionsPerHost: 2))

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo?n=\(index)")) }
            }
            try await group.waitForAll()
        }

        #expect(client.connectionsOpened <= 2)
    }

    @Test func missingCAFailsWithTLSFailure() async throws {
        let client = MultiplexedHTTPClient(settings: NetworkSettings(caFile: nil))

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo"))
        }

        #expect(error.kind == .tlsFailure)
        #expect(error.curlCode == 60)
    }

    @Test func silentServerTimesOut() async throws {
        let client = client(connectTimeout: .seconds(1), operationTimeout: .seconds(2))

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.stallURL + "/"))
        }

        #expect(error.kind == .timedOut)
    }

    @Test func oversizedBodyIsRejected() async throws {
        let client = client(maxResponseBytes: 1000)

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/big?bytes=100000"))
        }

        #expect(error.kind == .responseTooLarge)
    }

    @Test func credentialStaysOnOriginAfterRedirect() async throws {
        let client = client()
        let token = Secret("multiplexed-redirect-\(UUID().uuidString)")
        let target = lab.ipURL + "/_lab/echo"
        let url = lab.url + "/_lab/redirect?status=302&to=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")

        let response = try await client.send(HTTPRequest(url: url, credential: .bearer(token)))

        #expect(response.status == 200)
        let echo = try Echo(response)
        #expect(echo.headers["authorization"] == nil)
    }
}
