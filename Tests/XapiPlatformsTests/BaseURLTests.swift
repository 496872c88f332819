import Testing
@testable import XapiPlatforms

/// Validation of the base URLs that users give for self-hosted servers.
@Suite struct BaseURLTests {
    @Test(arguments: [
        ("https://ghe.example.com", "https://ghe.example.com"),
        ("https://ghe.example.com/", "https://ghe.example.com"),
        ("https://GHE.Example.COM///", "https://ghe.example.com"),
        ("  https://git.example.com/bitbucket/  ", "https://git.example.com/bitbucket"),
        ("https://git.example.com:8443/gitlab", "https://git.example.com:8443/gitlab"),
        ("HTTPS://git.example.com", "https://git.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("https://[2001:db8::1]:443", "https://[2001:db8::1]:443"),
    ])
    func acceptedURLIsNormalized(input: String, expected: String) throws {
        let url = try BaseURL(validating: input)

        #expect(url.description == expected)
    }

    @Test func partsAreSplit() throws {
        let url = try BaseURL(validating: "https://Git.Example.com:8443/tools/gitlab/")

        #expect(url.scheme == "https")
        #expect(url.host == "git.example.com")
        #expect(url.port == 8443)
        #expect(url.path == "/tools/gitlab")
        #expect(!url.isLoopback)
    }

    @Test func userInfoIsRejectedWithoutEcho() throws {
        let error = try #require(throws: PlatformError.self) {
            try BaseURL(validating: "https://octocat:ghp_secret123@ghe.example.com/")
        }

        #expect(error.kind == .invalidBaseURL)
        #expect(!error.message.contains("ghp_secret123"))
        #expect(!error.message.contains("octocat"))
        #expect(error.message.contains("ghe.example.com"))
        #expect(error.message.contains("--token-stdin"))
        #expect(error.message.contains("--token-env"))
    }

    @Test func userInfoWithoutSchemeIsRejectedWithoutEcho() throws {
        let error = try #require(throws: PlatformError.self) {
            try BaseURL(validating: "x-access-token:ghp_secret123@ghe.example.com")
        }

        #expect(error.kind == .invalidBaseURL)
        #expect(!error.message.contains("ghp_secret123"))
    }

    @Test func queryIsRejectedWithoutEcho() throws {
        let error = try #require(throws: PlatformError.self) {
            try BaseURL(validating: "https://gitlab.example.com/?private_token=glpat-secret")
        }

        #expect(error.kind == .invalidBaseURL)
        #expect(!error.message.contains("glpat-secret"))
        #expect(error.message.contains("https://gitlab.example.com/"))
    }

    @Test func fragmentIsRejected() throws {
        let error = try #require(throws: PlatformError.self) {
            try BaseURL(validating: "https://gitlab.example.com/#top")
        }

        #expect(error.kind == .invalidBaseURL)
        #expect(error.message.contains("fragment"))
    }

    @Test(arguments: ["http://ghe.example.com", "http://10.0.0.1", "http://localhost.example.com"])
    func plainHTTPIsRejectedOutsideLoopback(input: String) throws {
        let error = try #require(throws: PlatformError.self) {
            try BaseURL(validating: input)
        }

        #expect(error.kind == .invalidBaseURL)
        #expect(error.message.contains("plain http"))
    }

    @Test(arguments: [
        ("", "empty"),
        ("ghe.example.com", "no scheme"),
        ("ftp://ghe.example.com", "scheme `ftp`"),
        ("https://", "no host"),
        ("https://:8443", "no host"),
        ("https://ghe.example.com:0", "port"),
        ("https://ghe.example.com:99999", "port"),
        ("https://ghe.example.com:abc", "port"),
        ("https://ghe example.com", "U+20"),
        ("https://ghe_example.com", "malformed host"),
        ("https://[::1", "closing"),
        ("https://ghe.example.com/a b", "U+20"),
        ("https://ghe.example.com/a<b", "`<`"),
    ])
    func malformedURLIsRejected(input: String, expectedPhrase: String) throws {
        let error = try #require(throws: PlatformError.self) {
            try BaseURL(validating: input)
        }

        #expect(error.kind == .invalidBaseURL)
        #expect(error.message.contains(expectedPhrase), "message: \(error.message)")
    }
}
