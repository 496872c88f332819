import Foundation
import Testing
import XapiCore
@testable import XapiHTTP

/// Requests against the lab over real TLS: trust, methods, headers, credentials and connection reuse.
@Suite struct HTTPClientTests {
    let lab: LabEndpoints

    init() throws {
        lab = try LabEndpoints.shared()
    }

    @Test func getWithCAFileSucceeds() async throws {
        let client = lab.client()

        let response = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo?probe=1"))

        #expect(response.status == 200)
        #expect(response.url == lab.url + "/_lab/echo?probe=1")
        let echo = try Echo(response)
        #expect(echo.method == "GET")
        #expect(echo.path == "/_lab/echo")
        #expect(echo.headers["user-agent"] == "xapi-git/0.1")
    }

    @Test func missingCAFileFailsWithTLSFailure() async throws {
        let client = HTTPClient(settings: NetworkSettings(caFile: nil))
        let token = Secret("tls-test-token-\(UUID().uuidString)")

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo", credential: .bearer(token)))
        }

        #expect(error.kind == .tlsFailure)
        #expect(error.host == "localhost")
        #expect(error.curlCode == 60)
        #expect(error.message.contains("the certificate of localhost is not trusted"))
        #expect(error.message.contains("XAPI_GIT_CA_FILE"))
        #expect(!error.description.contains(token.revealed()))
    }

    @Test func unreadableCAFileFailsWithTLSFailure() async throws {
        let missing = "/tmp/xapi-http-tests-missing-\(UUID().uuidString).pem"
        let client = HTTPClient(settings: NetworkSettings(caFile: missing))

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo"))
        }

        #expect(error.kind == .tlsFailure)
        #expect(error.message.contains(missing))
    }

    @Test func caFileKeepsSystemCADirectory() async throws {
        // Debian's libcurl 7.88 trusts its built-in CAPATH beside CURLOPT_CAINFO, so a private CA file adds
        // to the system CAs instead of replacing them. EasyHandle sets CAINFO only, never CAPATH.
        let client = lab.client()

        let directory = try await client.builtInCAPath()

        #expect(directory == "/etc/ssl/certs")
    }

    @Test func errorStatusIsAResponse() async throws {
        let client = lab.client()

        let notFound = try await client.send(HTTPRequest(url: lab.url + "/_lab/status/404"))
        let serverError = try await client.send(HTTPRequest(url: lab.url + "/_lab/status/503"))

        #expect(notFound.status == 404)
        #expect(serverError.status == 503)
    }

    @Test func responseHeadersIgnoreCase() async throws {
        let client = lab.client()

        let response = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo"))

        let contentType = try #require(response.headers["content-type"])
        #expect(contentType.hasPrefix("application/json"))
        #expect(response.headers["Content-Type"] == contentType)
        #expect(response.headers["CONTENT-TYPE"] == contentType)
        #expect(response.headers.values("content-LENGTH") == [String(response.body.count)])
    }

    @Test func headerValuesHaveNoLineEnds() async throws {
        let client = lab.client()

        let response = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo"))

        #expect(!response.headers.fields.isEmpty)
        for field in response.headers {
            #expect(!field.value.contains { $0.isNewline }, "header \(field.name) keeps a line end")
            #expect(!field.name.contains { $0.isNewline || $0 == ":" })
        }
    }

    @Test func requestHeadersArrive() async throws {
        let client = lab.client()
        let request = HTTPRequest(
            url: lab.url + "/_lab/echo",
            headers: [("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")]
        )

        let echo = try Echo(try await client.send(request))

        #expect(echo.headers["accept"] == "application/vnd.github+json")
        #expect(echo.headers["x-github-api-version"] == "2022-11-28")
    }

    @Test(arguments: [
        (HTTPCredential.bearer(Secret("abc123")), "authorization", "Bearer abc123"),
        (HTTPCredential.tokenScheme(Secret("abc123")), "authorization", "token abc123"),
        (
            HTTPCredential.basic(username: "x-token-auth", password: Secret("p@ss:word")),
            "authorization", "Basic eC10b2tlbi1hdXRoOnBAc3M6d29yZA=="
        ),
        (HTTPCredential.header(name: "PRIVATE-TOKEN", value: Secret("glpat-abc")), "private-token", "glpat-abc"),
    ])
    func credentialBecomesHeader(credential: HTTPCredential, header: String, value: String) async throws {
        let client = lab.client()

        let echo = try Echo(try await client.send(HTTPRequest(url: lab.url + "/_lab/echo", credential: credential)))

        #expect(echo.headers[header] == value)
    }

    @Test func postSendsBody() async throws {
        let client = lab.client()
        let body = Array(#"{"name":"spec"}"#.utf8)
        let request = HTTPRequest(
            method: "POST",
            url: lab.url + "/_lab/echo",
            headers: [("Content-Type", "application/json")],
            body: body
        )

        let echo = try Echo(try await client.send(request))

        #expect(echo.method == "POST")
        #expect(echo.body == #"{"name":"spec"}"#)
        #expect(echo.headers["content-type"] == "application/json")
        #expect(echo.headers["content-length"] == String(body.count))
        #expect(echo.headers["expect"] == nil)
    }

    @Test func bodyWithoutContentTypeIsNotLabelledAsForm() async throws {
        let client = lab.client()
        let request = HTTPRequest(method: "PUT", url: lab.url + "/_lab/echo", body: Array("plain".utf8))

        let echo = try Echo(try await client.send(request))

        #expect(echo.method == "PUT")
        #expect(echo.body == "plain")
        #expect(echo.headers["content-type"] == nil)
    }

    @Test(arguments: ["DELETE", "PATCH", "HEAD"])
    func otherMethodsAreSent(method: String) async throws {
        let client = lab.client()

        let response = try await client.send(HTTPRequest(method: method, url: lab.url + "/_lab/echo"))

        #expect(response.status == 200)
        if method == "HEAD" {
            #expect(response.body.isEmpty)
        } else {
            #expect(try Echo(response).method == method)
        }
    }

    @Test func sequentialRequestsReuseConnection() async throws {
        let client = lab.client()

        _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo"))
        #expect(client.connectionsOpened == 1)
        _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo"))

        #expect(client.connectionsOpened == 1)
    }

    @Test func concurrentRequestsAllComplete() async throws {
        let client = lab.client()

        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try await client.send(HTTPRequest(url: lab.url + "/_lab/echo?n=\(index)")).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }

        #expect(statuses.count == 24)
        #expect(statuses.allSatisfy { $0 == 200 })
        #expect(client.connectionsOpened <= HTTPClient.handleCount)
    }

    @Test func tokenWithLineBreakIsRejected() async throws {
        let client = lab.client()
        let token = Secret("first-line\r\nX-Injected: yes")

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo", credential: .bearer(token)))
        }

        #expect(error.message.contains("line break"))
        #expect(!error.message.contains("first-line"))
        #expect(client.connectionsOpened == 0)
    }

    @Test func headerWithLineBreakIsRejected() async throws {
        let client = lab.client()
        let request = HTTPRequest(url: lab.url + "/_lab/echo", headers: [("X-Note", "a\nb")])

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(request)
        }

        #expect(error.message.contains("X-Note"))
        #expect(client.connectionsOpened == 0)
    }

    @Test func debugLogOmitsCredential() async throws {
        let recorder = LogRecorder()
        let client = lab.client(log: recorder.log)
        let token = Secret("log-test-token-\(UUID().uuidString)")

        _ = try await client.send(HTTPRequest(url: lab.url + "/_lab/echo", credential: .bearer(token)))

        #expect(!recorder.recorded.isEmpty)
        #expect(recorder.recorded.allSatisfy { !$0.contains(token.revealed()) })
    }
}
