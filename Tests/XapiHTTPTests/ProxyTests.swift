import Testing
import XapiCore
@testable import XapiHTTP

/// Requests through a proxy on 127.0.0.1 that this test runs itself.
@Suite struct ProxyTests {
    @Test func proxy407BecomesProxyAuthenticationRequired() async throws {
        let proxy = try LoopbackServer(
            reply: "HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate: Basic realm=\"lab\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        defer { proxy.stop() }
        let client = HTTPClient(settings: NetworkSettings(), proxy: "http://127.0.0.1:\(proxy.port)")
        let token = Secret("proxy-test-token")

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: "https://localhost:1/api/v3/user", credential: .bearer(token)))
        }

        #expect(error.kind == .proxyAuthenticationRequired)
        #expect(error.host == "localhost")
        #expect(proxy.receivedHeads.first?.hasPrefix("CONNECT localhost:1 HTTP/1.1") == true)
        // The credential belongs to the origin server, so it must not appear in the CONNECT request.
        #expect(proxy.receivedHeads.allSatisfy { !$0.contains(token.revealed()) })
        #expect(!error.description.contains(token.revealed()))
    }
}
