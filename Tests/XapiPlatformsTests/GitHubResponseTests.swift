import Foundation
import Testing
import XapiCore
import XapiHTTP
@testable import XapiPlatforms

/// The GitHub adapter's requests, and its reading of responses that the lab does not produce: malformed
/// bodies, server errors, and GitHub App tokens without a user.
@Suite struct GitHubResponseTests {
    let api = "https://ghe.example.com/api/v3"
    let token = AccessToken(secret: Secret("ghp_0123456789abcdef"))
    let location = RepositoryLocation(
        platform: .github,
        baseURL: "https://ghe.example.com",
        repository: "octo/specs",
        branch: "feature/v2"
    )

    static let repositoryBody = #"{"full_name":"octo/specs","private":true,"archived":false,"default_branch":"main","#
        + #""permissions":{"push":true}}"#

    func verify(_ transport: RecordedTransport, token: AccessToken? = nil) async throws -> TokenReport {
        let adapter = try PlatformAdapters.adapter(
            for: .github,
            baseURL: "https://ghe.example.com",
            transport: transport
        )
        return await adapter.verify(token: token ?? self.token, at: location, context: VerificationContext())
    }

    @Test func requestsCarryGitHubHeadersAndEncodedBranch() async throws {
        let transport = RecordedTransport([
            "\(api)/user": (200, [("X-OAuth-Scopes", "repo")], #"{"login":"octo"}"#),
            "\(api)/repos/octo/specs": (200, [], Self.repositoryBody),
            "\(api)/repos/octo/specs/branches/feature%2Fv2": (200, [], #"{"name":"feature/v2","protected":false}"#),
        ])

        let report = try await verify(transport)

        #expect(report.status == .valid, "\(report.detail)")
        let requests = transport.requests
        #expect(requests.map(\.url) == [
            "\(api)/user", "\(api)/repos/octo/specs", "\(api)/repos/octo/specs/branches/feature%2Fv2",
        ])
        for request in requests {
            #expect(request.method == "GET")
            #expect(request.credential == .bearer(token.secret))
            let headers = Dictionary(request.headers.map { ($0.name, $0.value) }) { first, _ in first }
            #expect(headers["Accept"] == "application/vnd.github+json")
            #expect(headers["X-GitHub-Api-Version"] == "2022-11-28")
        }
    }

    @Test func htmlInsteadOfJSONIsUnexpected() async throws {
        let transport = RecordedTransport([
            "\(api)/user": (200, [], "<html><body>Sign in to the proxy</body></html>"),
        ])

        let report = try await verify(transport)

        #expect(report.status == .unexpectedResponse)
        #expect(report.detail.contains("GET /user"))
        #expect(report.detail.contains("not valid JSON"))
    }

    @Test func mistypedPermissionIsUnexpected() async throws {
        let transport = RecordedTransport([
            "\(api)/user": (200, [("X-OAuth-Scopes", "repo")], #"{"login":"octo"}"#),
            "\(api)/repos/octo/specs": (200, [], #"{"full_name":"octo/specs","permissions":{"push":"yes"}}"#),
        ])

        let report = try await verify(transport)

        #expect(report.status == .unexpectedResponse)
        #expect(report.detail.contains("permissions.push"))
        #expect(report.account == "octo")
    }

    @Test func loginOfWrongTypeIsUnexpected() async throws {
        let transport = RecordedTransport([
            "\(api)/user": (200, [], #"{"login":42}"#),
        ])

        let report = try await verify(transport)

        #expect(report.status == .unexpectedResponse)
        #expect(report.detail.contains("`login`"))
    }

    @Test func serverErrorIsUnexpected() async throws {
        let transport = RecordedTransport([
            "\(api)/user": (502, [], "Bad Gateway"),
        ])

        let report = try await verify(transport)

        #expect(report.status == .unexpectedResponse)
        #expect(report.detail.contains("HTTP 502"))
        #expect(report.detail.contains("try again later"))
    }

    @Test func appTokenWithoutUserIsJudgedByRepository() async throws {
        let transport = RecordedTransport([
            "\(api)/user": (403, [], #"{"message":"Resource not accessible by integration"}"#),
            "\(api)/repos/octo/specs": (200, [], Self.repositoryBody),
            "\(api)/repos/octo/specs/branches/feature%2Fv2": (200, [], #"{"name":"feature/v2","protected":true}"#),
        ])
        let appToken = AccessToken(secret: Secret("ghs_0123456789abcdef"))

        let report = try await verify(transport, token: appToken)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.account == nil)
        #expect(report.branchProtected == true)
        #expect(report.notes.contains { $0.contains("Resource not accessible by integration") })
    }

    @Test func fineGrainedTokenIsJudgedByPushPermission() async throws {
        let body = #"{"full_name":"octo/specs","private":true,"permissions":{"push":false}}"#
        let transport = RecordedTransport([
            "\(api)/user": (200, [("X-OAuth-Scopes", "")], #"{"login":"octo"}"#),
            "\(api)/repos/octo/specs": (200, [], body),
        ])
        let fineGrained = AccessToken(secret: Secret("github_pat_0123456789abcdef"))

        let report = try await verify(transport, token: fineGrained)

        #expect(report.status == .insufficientPermission)
        #expect(report.missing == ["push"])
        #expect(report.detail.contains("Contents"))
    }

    @Test func fineGrainedTokenNeedsNoScopes() async throws {
        let transport = RecordedTransport([
            "\(api)/user": (200, [("X-OAuth-Scopes", "")], #"{"login":"octo"}"#),
            "\(api)/repos/octo/specs": (200, [], Self.repositoryBody),
            "\(api)/repos/octo/specs/branches/feature%2Fv2": (200, [], #"{"protected":false}"#),
        ])
        let fineGrained = AccessToken(secret: Secret("github_pat_0123456789abcdef"))

        let report = try await verify(transport, token: fineGrained)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.scopes.isEmpty)
    }

    @Test func unreadableExpiryIsNoted() async throws {
        let transport = RecordedTransport([
            "\(api)/user": (
                200, [("github-authentication-token-expiration", "next Tuesday")], #"{"login":"octo"}"#
            ),
            "\(api)/repos/octo/specs": (200, [], Self.repositoryBody),
            "\(api)/repos/octo/specs/branches/feature%2Fv2": (200, [], #"{"protected":false}"#),
        ])

        let report = try await verify(transport)

        #expect(report.status == .valid)
        #expect(report.expiresAt == nil)
        #expect(report.notes.contains { $0.contains("next Tuesday") })
    }

    @Test func wrongCredentialKindIsInvalid() async throws {
        let transport = RecordedTransport([:])
        let adapter = try PlatformAdapters.adapter(for: .github, baseURL: nil, transport: transport)
        let bitbucketToken = AccessToken(kind: .bitbucketAccessToken, secret: Secret("x"))

        let report = await adapter.verify(token: bitbucketToken, at: location, context: VerificationContext())

        #expect(report.status == .invalid)
        #expect(transport.requests.isEmpty)
    }
}
