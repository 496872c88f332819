import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms

/// The Bitbucket Cloud adapter against the lab's emulation, for each credential kind and report class.
@Suite struct BitbucketCloudLabTests {
    let fixture: LabFixture
    var lab: Lab { fixture.lab }

    init() throws {
        fixture = try LabFixture()
    }

    /// Creates a user and a repository `user/slug` in the user's workspace.
    func ownedRepository(protect: [String] = []) async throws -> (user: String, repository: String) {
        let user = Lab.uniqueName("bb")
        let repository = "\(user)/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "bitbucket", repository, protect: protect)
        return (user, repository)
    }

    /// Creates an API token of `user`, which logs in with the user's e-mail.
    func apiToken(for user: String, scopes: [String]? = nil) async throws -> AccessToken {
        let email = "\(user)@example.com"
        let secret = try await lab.addToken(
            platform: "bitbucket",
            user: user,
            scopes: scopes,
            extra: ["--kind", "api-token", "--email", email]
        )
        return AccessToken(kind: .bitbucketAPIToken(email: email), secret: secret)
    }

    @Test func apiTokenOfOwnerIsValid() async throws {
        let (user, repository) = try await ownedRepository()
        let token = try await apiToken(for: user)

        let report = try await fixture.verify(.bitbucket, token: token, repository: repository)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.account == user)
        #expect(report.canPush == true)
        #expect(report.platformProjectID != nil)
        #expect(!report.scopes.isEmpty)
    }

    @Test func accessTokenIsJudgedByScopes() async throws {
        let (user, repository) = try await ownedRepository()
        let secret = try await lab.addToken(platform: "bitbucket", user: user, extra: ["--kind", "access-token"])

        let report = try await fixture.verify(
            .bitbucket,
            token: AccessToken(kind: .bitbucketAccessToken, secret: secret),
            repository: repository
        )

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.canPush == true)
        #expect(report.account == nil)
        #expect(report.notes.contains { $0.contains("account") })
    }

    @Test func readOnlyAccessTokenLacksWriteScope() async throws {
        let (user, repository) = try await ownedRepository()
        let secret = try await lab.addToken(
            platform: "bitbucket",
            user: user,
            scopes: ["repository"],
            extra: ["--kind", "access-token"]
        )

        let report = try await fixture.verify(
            .bitbucket,
            token: AccessToken(kind: .bitbucketAccessToken, secret: secret),
            repository: repository
        )

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["repository:write"])
    }

    @Test func appPasswordIsDeprecated() async throws {
        let (user, repository) = try await ownedRepository()
        let secret = try await lab.addToken(platform: "bitbucket", user: user, extra: ["--kind", "app-password"])

        let report = try await fixture.verify(
            .bitbucket,
            token: AccessToken(kind: .bitbucketAppPassword(username: user), secret: secret),
            repository: repository
        )

        #expect(report.status == .valid, "\(report.detail)")
        let deprecation = try #require(report.notes.first { $0.contains("deprecated") })
        #expect(deprecation.contains("2026-07-28"))
        #expect(deprecation.contains("API token"))
    }

    @Test func appPasswordWithEmailIsInvalid() async throws {
        let (user, repository) = try await ownedRepository()
        let secret = try await lab.addToken(platform: "bitbucket", user: user, extra: ["--kind", "app-password"])

        let report = try await fixture.verify(
            .bitbucket,
            token: AccessToken(kind: .bitbucketAppPassword(username: "\(user)@example.com"), secret: secret),
            repository: repository
        )

        #expect(report.status == .invalid)
        #expect(report.detail.contains("e-mail"))
        #expect(report.detail.contains("username"))
    }

    @Test func apiTokenWithWrongEmailIsInvalid() async throws {
        let (user, repository) = try await ownedRepository()
        let token = try await apiToken(for: user)
        let wrongEmail = AccessToken(kind: .bitbucketAPIToken(email: "someone@example.com"), secret: token.secret)

        let report = try await fixture.verify(.bitbucket, token: wrongEmail, repository: repository)

        #expect(report.status == .invalid, "\(report.detail)")
        #expect(report.detail.contains("Token is invalid, expired, or not supported"))
    }

    @Test func expiredTokenWithKnownExpiryIsExpired() async throws {
        let (user, repository) = try await ownedRepository()
        let token = try await apiToken(for: user)
        try await lab.expire(token.secret)
        let context = VerificationContext(knownExpiry: Date().addingTimeInterval(-60))

        let report = try await fixture.verify(.bitbucket, token: token, repository: repository, context: context)

        #expect(report.status == .expired, "\(report.detail)")
    }

    @Test func revokedTokenIsInvalid() async throws {
        let (user, repository) = try await ownedRepository()
        let token = try await apiToken(for: user)
        try await lab.revoke(token.secret)

        let report = try await fixture.verify(.bitbucket, token: token, repository: repository)

        #expect(report.status == .invalid, "\(report.detail)")
    }

    @Test func tokenWithoutAccountScopeIsNoted() async throws {
        let (user, repository) = try await ownedRepository()
        let token = try await apiToken(
            for: user,
            scopes: ["read:repository:bitbucket", "write:repository:bitbucket"]
        )

        let report = try await fixture.verify(.bitbucket, token: token, repository: repository)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.account == nil)
        #expect(report.notes.contains { $0.contains("read:user:bitbucket") })
    }

    @Test func readerMayNotPush() async throws {
        let owner = Lab.uniqueName("owner")
        let reader = Lab.uniqueName("reader")
        let repository = "\(owner)/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "bitbucket", repository, readers: [reader])
        let token = try await apiToken(for: reader)

        let report = try await fixture.verify(.bitbucket, token: token, repository: repository)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["write"])
        #expect(report.canPush == false)
    }

    @Test func writerMayPush() async throws {
        let owner = Lab.uniqueName("owner")
        let writer = Lab.uniqueName("writer")
        let repository = "\(owner)/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "bitbucket", repository, writers: [writer])
        let token = try await apiToken(for: writer)

        let report = try await fixture.verify(.bitbucket, token: token, repository: repository)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.canPush == true)
    }

    @Test func missingRepositoryIsNotFound() async throws {
        let (user, _) = try await ownedRepository()
        let token = try await apiToken(for: user)

        let report = try await fixture.verify(.bitbucket, token: token, repository: "\(user)/no-such-repository")

        #expect(report.status == .repositoryNotFound, "\(report.detail)")
    }

    @Test func missingBranchIsNotFound() async throws {
        let (user, repository) = try await ownedRepository()
        let token = try await apiToken(for: user)

        let report = try await fixture.verify(.bitbucket, token: token, repository: repository, branch: "gone")

        #expect(report.status == .branchNotFound, "\(report.detail)")
        #expect(report.detail.contains("`main`"))
    }

    @Test func rateLimitTellsRetryTime() async throws {
        let (user, repository) = try await ownedRepository()
        let token = try await apiToken(for: user)
        let before = Date()
        try await lab.run(
            ["ratelimit", "set", "--platform", "bitbucket", "--reset-in", "75", "-"],
            stdin: token.secret.revealed()
        )

        let report = try await fixture.verify(.bitbucket, token: token, repository: repository)

        #expect(report.status == .rateLimited, "\(report.detail)")
        let retryAt = try #require(report.retryAt)
        #expect(retryAt >= before.addingTimeInterval(75 - 1))
        #expect(retryAt <= Date().addingTimeInterval(75 + 1))
    }
}
