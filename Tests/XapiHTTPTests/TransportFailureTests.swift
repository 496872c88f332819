import Foundation
import Testing
import XapiCore
@testable import XapiHTTP

/// Servers that misbehave: oversized, endless, stalled and truncated responses, and refused connections.
@Suite struct TransportFailureTests {
    let lab: LabEndpoints

    init() throws {
        lab = try LabEndpoints.shared()
    }

    @Test func bodyAtLimitIsAccepted() async throws {
        let client = lab.client(maxResponseBytes: 1 << 20)

        let response = try await client.send(HTTPRequest(url: lab.url + "/_lab/big?bytes=\(1 << 20)"))

        #expect(response.status == 200)
        #expect(response.body.count == 1 << 20)
    }

    @Test func bodyOverLimitFails() async throws {
        let client = lab.client(maxResponseBytes: 1 << 20)
        let peakBefore = Self.peakResidentBytes()

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/big?bytes=50000000"))
        }

        #expect(error.kind == .responseTooLarge)
        #expect(error.host == "localhost")
        #expect(error.message.contains("1048576 bytes"))
        // A client that buffered the 50 MB body would raise the process's peak by about that much.
        #expect(Self.peakResidentBytes() - peakBefore < 30 << 20)
    }

    @Test func oneByteOverLimitFails() async throws {
        let client = lab.client(maxResponseBytes: 1 << 20)

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/big?bytes=\((1 << 20) + 1)"))
        }

        #expect(error.kind == .responseTooLarge)
    }

    @Test func endlessHeaderFails() async throws {
        let client = lab.client(operationTimeout: .seconds(20))
        let start = ContinuousClock.now

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/endless-header"))
        }

        #expect(error.kind == .responseTooLarge)
        #expect(error.message.contains("response headers from localhost"))
        #expect(ContinuousClock.now - start < .seconds(15))
    }

    @Test func giantHeaderLineFails() async throws {
        let server = try LoopbackServer(
            reply: "HTTP/1.1 200 OK\r\nX-Huge: " + String(repeating: "a", count: 200_000)
                + "\r\nContent-Length: 0\r\n\r\n"
        )
        defer { server.stop() }
        let client = HTTPClient(settings: NetworkSettings())

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: "http://localhost:\(server.port)/"))
        }

        #expect(error.kind == .responseTooLarge)
        #expect(error.message.contains("header line from localhost"))
    }

    @Test func stalledResponseTimesOut() async throws {
        let client = lab.client(operationTimeout: .seconds(2))
        let start = ContinuousClock.now

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/stall"))
        }

        let elapsed = ContinuousClock.now - start
        #expect(error.kind == .timedOut)
        #expect(error.curlCode == 28)
        #expect(error.message.contains("the response from localhost did not arrive within"))
        #expect(elapsed >= .milliseconds(1900))
        #expect(elapsed < .seconds(10))
    }

    @Test func silentServerTimesOutInConnect() async throws {
        let client = lab.client(connectTimeout: .seconds(1), operationTimeout: .seconds(20))
        let start = ContinuousClock.now

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.stallURL + "/anything"))
        }

        #expect(error.kind == .timedOut)
        #expect(error.message.contains("connecting to localhost"))
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func stalledRequestDoesNotBlockOthers() async throws {
        let client = lab.client(operationTimeout: .seconds(20))

        let stalled = Task { try await client.send(HTTPRequest(url: lab.url + "/_lab/stall")) }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        let echo = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo"))
        let echoElapsed = ContinuousClock.now - start
        stalled.cancel()
        let stalledResult = await stalled.result

        #expect(echo.status == 200)
        #expect(echoElapsed < .seconds(10))
        #expect(throws: CancellationError.self) { try stalledResult.get() }
    }

    @Test func waitForFreeHandleCountsTowardTimeout() async throws {
        let client = lab.client(operationTimeout: .seconds(2))
        let start = ContinuousClock.now

        let kinds = await withTaskGroup(of: HTTPError.Kind?.self) { group in
            for _ in 0...HTTPClient.handleCount {
                group.addTask {
                    do {
                        _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/stall"))
                        return nil
                    } catch let error as HTTPError {
                        return error.kind
                    } catch {
                        return nil
                    }
                }
            }
            return await group.reduce(into: [HTTPError.Kind?]()) { $0.append($1) }
        }

        #expect(kinds.count == HTTPClient.handleCount + 1)
        #expect(kinds.allSatisfy { $0 == .timedOut })
        #expect(ContinuousClock.now - start < .seconds(8))
    }

    @Test func cancellationStopsTransfer() async throws {
        let client = lab.client(operationTimeout: .seconds(60))
        let start = ContinuousClock.now

        let task = Task { try await client.send(HTTPRequest(url: lab.url + "/_lab/stall")) }
        try await Task.sleep(for: .milliseconds(500))
        task.cancel()
        let result = await task.result

        #expect(throws: CancellationError.self) { try result.get() }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func cancellationWhileWaitingForHandle() async throws {
        let client = lab.client(operationTimeout: .seconds(30))
        let stalled = (0..<HTTPClient.handleCount).map { _ in
            Task { try await client.send(HTTPRequest(url: lab.url + "/_lab/stall")) }
        }
        defer { stalled.forEach { $0.cancel() } }
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now

        let waiting = Task { try await client.send(HTTPRequest(url: lab.url + "/_lab/echo")) }
        try await Task.sleep(for: .milliseconds(200))
        waiting.cancel()
        let result = await waiting.result

        #expect(throws: CancellationError.self) { try result.get() }
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func truncatedBodyFails() async throws {
        let client = lab.client()

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/truncated"))
        }

        #expect(error.kind == .transport)
        #expect(error.curlCode == 18)
        #expect(error.message.contains("the response from localhost was cut short"))
    }

    @Test func malformedJSONIsReturnedAsIs() async throws {
        let client = lab.client()

        let response = try await client.send(HTTPRequest(url: lab.url + "/_lab/malformed-json"))

        #expect(response.status == 200)
        #expect(!response.body.isEmpty)
        #expect((try? JSONSerialization.jsonObject(with: Data(response.body))) == nil)
    }

    @Test func closedPortIsUnreachable() async throws {
        let port = try LoopbackServer.unusedPort()
        let client = lab.client()

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: "https://localhost:\(port)/"))
        }

        #expect(error.kind == .unreachable)
        #expect(error.curlCode == 7)
        #expect(error.message.contains("could not connect to localhost:\(port)"))
    }

    /// Returns the process's peak resident memory (`ru_maxrss`), in bytes.
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }
}

/// HEAD requests, whose Content-Length must not count against the body size limit.
@Suite struct HeadRequestTests {
    @Test func headOfLargeResourceSucceeds() async throws {
        let lab = try LabEndpoints.shared()
        let client = lab.client(maxResponseBytes: 1 << 20)

        let response = try await client.send(HTTPRequest(method: "HEAD", url: lab.url + "/_lab/big?bytes=50000000"))

        #expect(response.status == 200)
        #expect(response.headers["content-length"] == "50000000")
        #expect(response.body.isEmpty)
    }
}
