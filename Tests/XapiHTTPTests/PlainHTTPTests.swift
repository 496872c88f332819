import Testing
import XapiCore
import XapiHTTP

/// Plain http, which the client allows only towards loopback hosts.
@Suite struct PlainHTTPTests {
    @Test(arguments: ["localhost", "127.0.0.1"])
    func plainHTTPToLoopbackIsSent(host: String) async throws {
        let server = try LoopbackServer(
            reply: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        )
        defer { server.stop() }
        let client = HTTPClient(settings: NetworkSettings())

        let response = try await client.send(HTTPRequest(url: "http://\(host):\(server.port)/status"))

        #expect(response.status == 200)
        #expect(response.bodyText == "ok")
        #expect(server.receivedHeads.first?.hasPrefix("GET /status HTTP/1.1\r\n") == true)
    }
}
