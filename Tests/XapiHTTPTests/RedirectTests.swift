import Foundation
import Testing
import XapiCore
@testable import XapiHTTP

/// Redirects followed by the client: method changes, the redirect limit, and where the credential goes.
@Suite struct RedirectTests {
    let lab: LabEndpoints

    init() throws {
        lab = try LabEndpoints.shared()
    }

    /// Returns a lab URL that responds with `status` and a redirect to `target`.
    func redirect(on base: String, to target: String, status: Int = 302) -> String {
        let encoded = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? target
        return "\(base)/_lab/redirect?status=\(status)&to=\(encoded)"
    }

    @Test func sameOriginRedirectKeepsCredential() async throws {
        let client = lab.client()
        let token = Secret("same-origin-\(UUID().uuidString)")
        let target = lab.url + "/_lab/echo?hop=2"

        let response = try await client.send(
            HTTPRequest(url: redirect(on: lab.url, to: target), credential: .bearer(token))
        )

        #expect(response.status == 200)
        #expect(response.url == target)
        #expect(try Echo(response).headers["authorization"] == "Bearer \(token.revealed())")
    }

    @Test func relativeRedirectIsResolved() async throws {
        let client = lab.client()

        let response = try await client.send(HTTPRequest(url: redirect(on: lab.url, to: "/_lab/echo?relative=1")))

        #expect(response.status == 200)
        #expect(response.url == lab.url + "/_lab/echo?relative=1")
    }

    @Test func crossOriginRedirectDropsCredential() async throws {
        let recorder = LogRecorder()
        let client = lab.client(log: recorder.log)
        let token = Secret("cross-origin-\(UUID().uuidString)")
        let target = lab.ipURL + "/_lab/echo"
        let request = HTTPRequest(
            url: redirect(on: lab.url, to: target),
            headers: [("Cookie", "session=1"), ("X-Kept", "yes")],
            credential: .bearer(token)
        )

        let response = try await client.send(request)

        #expect(response.status == 200)
        #expect(response.url == target)
        let echo = try Echo(response)
        #expect(echo.headers["authorization"] == nil)
        #expect(echo.headers["cookie"] == nil)
        #expect(echo.headers["x-kept"] == "yes")
        #expect(recorder.recorded.contains { $0.contains("Credential dropped on redirect to another origin") })
        #expect(recorder.recorded.allSatisfy { !$0.contains(token.revealed()) })
    }

    @Test func credentialStaysDroppedAfterReturningToOrigin() async throws {
        let client = lab.client()
        let token = Secret("return-trip-\(UUID().uuidString)")
        let backHome = redirect(on: lab.ipURL, to: lab.url + "/_lab/echo")

        let response = try await client.send(
            HTTPRequest(
                url: redirect(on: lab.url, to: backHome), credential: .header(name: "PRIVATE-TOKEN", value: token))
        )

        #expect(response.url == lab.url + "/_lab/echo")
        #expect(try Echo(response).headers["private-token"] == nil)
    }

    @Test func seeOtherTurnsPostIntoGet() async throws {
        let client = lab.client()
        let request = HTTPRequest(
            method: "POST",
            url: redirect(on: lab.url, to: lab.url + "/_lab/echo", status: 303),
            headers: [("Content-Type", "application/json")],
            body: Array("{}".utf8)
        )

        let echo = try Echo(try await client.send(request))

        #expect(echo.method == "GET")
        #expect(echo.body.isEmpty)
        #expect(echo.headers["content-type"] == nil)
    }

    @Test(arguments: [301, 302, 307, 308])
    func otherRedirectsKeepMethodAndBody(status: Int) async throws {
        let client = lab.client()
        let request = HTTPRequest(
            method: "POST",
            url: redirect(on: lab.url, to: lab.url + "/_lab/echo", status: status),
            body: Array("payload".utf8)
        )

        let echo = try Echo(try await client.send(request))

        #expect(echo.method == "POST")
        #expect(echo.body == "payload")
    }

    @Test func fiveRedirectsAreFollowed() async throws {
        let client = lab.client()
        var url = lab.url + "/_lab/echo"
        for _ in 0..<HTTPClient.maxRedirects {
            url = redirect(on: lab.url, to: url)
        }

        let response = try await client.send(HTTPRequest(url: url))

        #expect(response.status == 200)
        #expect(response.url == lab.url + "/_lab/echo")
    }

    @Test func sixthRedirectFails() async throws {
        let client = lab.client()
        var url = lab.url + "/_lab/echo"
        for _ in 0...HTTPClient.maxRedirects {
            url = redirect(on: lab.url, to: url)
        }

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: url))
        }

        #expect(error.kind == .tooManyRedirects)
        #expect(error.message.contains("more than 5 times"))
    }

    @Test func redirectWithUserInfoIsRejected() async throws {
        let client = lab.client()
        let token = Secret("redirect-user-info-\(UUID().uuidString)")
        let target = "https://user:\(token.revealed())@localhost:1/_lab/echo"

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: redirect(on: lab.url, to: target), credential: .bearer(token)))
        }

        #expect(error.kind == .invalidURL)
        #expect(error.message.contains("redirect that was not followed"))
        #expect(!error.message.contains(token.revealed()))
    }
}
