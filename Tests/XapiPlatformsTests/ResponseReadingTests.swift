import Foundation
import Testing
import XapiHTTP
@testable import XapiPlatforms

/// How adapters read headers and bodies: scopes, single sign-on, rate limits, error messages and odd JSON.
@Suite struct ResponseReadingTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func response(_ status: Int, _ headers: [(name: String, value: String)] = [], body: String = "") -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders(headers), body: Array(body.utf8), url: "https://x/api")
    }

    @Test func scopesAreTrimmed() {
        #expect(GitHubResponses.parseScopes("repo, read:org ,  workflow") == ["repo", "read:org", "workflow"])
        #expect(GitHubResponses.parseScopes("") == [])
        #expect(GitHubResponses.parseScopes(" , ") == [])
    }

    @Test func singleSignOnURLIsRead() {
        let parsed = GitHubResponses.parseSingleSignOn("required; url=https://ghe.example.com/orgs/acme/sso?x=1")

        #expect(parsed.url == "https://ghe.example.com/orgs/acme/sso?x=1")
        #expect(parsed.organizations.isEmpty)
    }

    @Test func singleSignOnPartialResultsAreRead() throws {
        let parsed = GitHubResponses.parseSingleSignOn("partial-results; organizations=21955855, 20582480")

        #expect(parsed.url == nil)
        #expect(parsed.organizations == ["21955855", "20582480"])

        let stop = try #require(GitHubResponses.singleSignOnStop(
            response(403, [("X-GitHub-SSO", "partial-results; organizations=21955855")])
        ))
        #expect(stop.status == .ssoRequired)
        #expect(stop.detail.contains("21955855"))
    }

    @Test func primaryRateLimitUsesResetHeader() throws {
        let limited = response(403, [
            ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1800000900"), ("x-ratelimit-resource", "core"),
        ], body: #"{"message":"API rate limit exceeded for user ID 1."}"#)

        let stop = try #require(GitHubResponses.rateLimitStop(limited, now: now))

        #expect(stop.status == .rateLimited)
        #expect(stop.retryAt == Date(timeIntervalSince1970: 1_800_000_900))
        #expect(stop.detail.contains("primary"))
    }

    @Test func secondaryRateLimitUsesRetryAfter() throws {
        let limited = response(403, [("Retry-After", "30"), ("x-ratelimit-remaining", "4000")],
                               body: #"{"message":"You have exceeded a secondary rate limit."}"#)

        let stop = try #require(GitHubResponses.rateLimitStop(limited, now: now))

        #expect(stop.retryAt == now.addingTimeInterval(30))
        #expect(stop.detail.contains("secondary"))
    }

    @Test func abuseMessageWithoutHeadersWaitsOneMinute() throws {
        let limited = response(403, body: #"{"message":"You have triggered an abuse detection mechanism."}"#)

        let stop = try #require(GitHubResponses.rateLimitStop(limited, now: now))

        #expect(stop.retryAt == now.addingTimeInterval(60))
    }

    @Test func plainForbiddenIsNoRateLimit() {
        let forbidden = response(403, [("x-ratelimit-remaining", "4999")],
                                 body: #"{"message":"Resource not accessible by personal access token"}"#)

        #expect(GitHubResponses.rateLimitStop(forbidden, now: now) == nil)
    }

    @Test func serverMessageIsFoundInEachPlatformsShape() {
        #expect(APIClient.serverMessage(Array(#"{"message":"Bad credentials"}"#.utf8)) == "Bad credentials")
        let bitbucketError = #"{"type":"error","error":{"message":"Token is invalid"}}"#
        #expect(APIClient.serverMessage(Array(bitbucketError.utf8)) == "Token is invalid")
        #expect(APIClient.serverMessage(Array(#"{"errors":[{"message":"Authentication failed."}]}"#.utf8))
            == "Authentication failed.")
        let oauthError = #"{"error":"invalid_token","error_description":"Token is expired."}"#
        #expect(APIClient.serverMessage(Array(oauthError.utf8)) == "Token is expired.")
        #expect(APIClient.serverMessage(Array("<html>".utf8)) == nil)
    }

    @Test func gitLabInsufficientScopeNamesScopes() throws {
        let body = #"{"error":"insufficient_scope","error_description":"The request requires higher privileges.","#
            + #""scope":"api read_api"}"#

        let stop = try #require(GitLabResponses.insufficientScope(Array(body.utf8), request: "GET /user"))

        #expect(stop.status == .insufficientPermission)
        #expect(stop.missing == ["api", "read_api"])
    }

    @Test func mistypedFieldIsNamed() throws {
        let body = #"{"permissions":{"push":"yes"}}"#
        let document = try JSONDocument(body: Array(body.utf8), source: "GitHub's response")

        let stop = try #require(throws: VerificationStop.self) {
            try document.optionalBool("permissions", "push")
        }

        #expect(stop.status == .unexpectedResponse)
        #expect(stop.detail.contains("permissions.push"))
        #expect(stop.detail.contains("a string"))
    }

    @Test func bodyThatIsNotJSONIsQuoted() throws {
        let stop = try #require(throws: VerificationStop.self) {
            try JSONDocument(body: Array("<html><body>Sign in</body></html>".utf8), source: "GitHub's response")
        }

        #expect(stop.status == .unexpectedResponse)
        #expect(stop.detail.contains("<html>"))
    }

    @Test func pathSegmentEncodesSlash() {
        #expect(PathSegment.encode("feature/x y") == "feature%2Fx%20y")
        #expect(PathSegment.encode("group/sub/project") == "group%2Fsub%2Fproject")
        #expect(PathSegment.encode("a-b_c.d~e") == "a-b_c.d~e")
        #expect(PathSegment.encode("ü") == "%C3%BC")
    }
}
