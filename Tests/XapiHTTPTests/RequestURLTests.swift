import Testing
import XapiCore
@testable import XapiHTTP

/// URL checks that run before any network traffic: schemes, loopback-only http and user-info.
@Suite struct RequestURLTests {
    @Test(arguments: [
        ("https://api.github.com/user", "api.github.com", 443),
        ("https://GitLab.Example.com:8443/api/v4/user", "gitlab.example.com", 8443),
        ("http://localhost:8080/x", "localhost", 8080),
        ("http://127.0.0.1/x", "127.0.0.1", 80),
        ("http://[::1]:9000/x", "[::1]", 9000),
    ])
    func acceptedURL(text: String, host: String, port: Int) throws {
        let url = try RequestURL(validating: text)

        #expect(url.host == host)
        #expect(url.port == port)
    }

    @Test func originComparesSchemeHostAndPort() throws {
        let base = try RequestURL(validating: "https://localhost:8443/a")

        #expect(try RequestURL(validating: "https://LOCALHOST:8443/b?c=d").origin == base.origin)
        #expect(try RequestURL(validating: "https://127.0.0.1:8443/a").origin != base.origin)
        #expect(try RequestURL(validating: "https://localhost:9443/a").origin != base.origin)
        #expect(try RequestURL(validating: "http://localhost:8443/a").origin != base.origin)
    }

    @Test(arguments: ["http://api.example.invalid/user", "http://10.0.0.1/user", "http://localhost.example.invalid/"])
    func plainHTTPOutsideLoopbackIsRejected(text: String) {
        #expect {
            _ = try RequestURL(validating: text)
        } throws: { error in
            let error = error as? HTTPError
            return error?.kind == .invalidURL && error?.message.contains("use an https:// URL") == true
        }
    }

    @Test(arguments: [
        "https://user:hunter2-secret@localhost/x",
        "https://hunter2-secret@localhost/x",
        "https://:hunter2-secret@localhost/x",
    ])
    func userInfoIsRejectedWithoutEcho(text: String) throws {
        let error = try #require(throws: HTTPError.self) {
            _ = try RequestURL(validating: text)
        }

        #expect(error.kind == .invalidURL)
        #expect(error.message.contains("token option"))
        #expect(!error.message.contains("hunter2-secret"))
        #expect(!error.message.contains("user:"))
    }

    @Test(arguments: ["ftp://localhost/x", "file:///etc/passwd", "localhost:8080/x", "https://", "not a url"])
    func malformedOrForeignURLIsRejected(text: String) throws {
        let error = try #require(throws: HTTPError.self) {
            _ = try RequestURL(validating: text)
        }

        #expect(error.kind == .invalidURL)
    }

    @Test func plainHTTPRefusalOpensNoConnection() async throws {
        let client = HTTPClient(settings: NetworkSettings())

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: "http://api.example.invalid/user"))
        }

        #expect(error.kind == .invalidURL)
        #expect(error.host == "api.example.invalid")
        #expect(error.curlCode == nil)
        #expect(client.connectionsOpened == 0)
    }

    @Test func userInfoRefusalKeepsPasswordOutOfMessage() async throws {
        let client = HTTPClient(settings: NetworkSettings())

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: "https://x-access-token:ghp_secretvalue@localhost:1/repos"))
        }

        #expect(error.kind == .invalidURL)
        #expect(!error.description.contains("ghp_secretvalue"))
        #expect(!error.description.contains("x-access-token"))
        #expect(client.connectionsOpened == 0)
    }
}
