import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms

/// The Bitbucket Data Center adapter against the lab's emulation, for personal and project tokens.
@Suite struct BitbucketDataCenterLabTests {
    let fixture: LabFixture
    var lab: Lab { fixture.lab }

    init() throws {
        fixture = try LabFixture()
    }

    /// Returns a project key of letters and digits, as Data Center requires, unique to the test.
    static func uniqueProjectKey() -> String {
        "P" + Lab.uniqueName("key").dropFirst("key-".count).uppercased()
    }

    /// Creates a user with write access to a new repository `KEY/slug`, and the user's personal token.
    func writableRepository(protect: [String] = []) async throws -> (user: String, repository: String, token: AccessToken) {
        let user = Lab.uniqueName("dc")
        let repository = "\(Self.uniqueProjectKey())/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "bitbucket-dc", repository, writers: [user], protect: protect)
        let secret = try await lab.addToken(platform: "bitbucket-dc", user: user)
        return (user, repository, AccessToken(secret: secret))
    }

    @Test func personalTokenIsValid() async throws {
        let (user, repository, token) = try await writableRepository()

        let report = try await fixture.verify(.bitbucketDataCenter, token: token, repository: repository)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.account == user)
        #expect(report.canPush == true)
        #expect(report.platformProjectID != nil)
    }

    @Test func projectTokenIsValid() async throws {
        let bot = Lab.uniqueName("bot")
        let repository = "\(Self.uniqueProjectKey())/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "bitbucket-dc", repository, writers: [bot])
        let secret = try await lab.addToken(platform: "bitbucket-dc", user: bot, extra: ["--kind", "project-token"])

        let report = try await fixture.verify(
            .bitbucketDataCenter,
            token: AccessToken(kind: .dataCenterBearerToken, secret: secret),
            repository: repository
        )

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.account == bot)
    }

    @Test func readTokenLacksWritePermission() async throws {
        let user = Lab.uniqueName("dc")
        let repository = "\(Self.uniqueProjectKey())/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "bitbucket-dc", repository, writers: [user])
        let secret = try await lab.addToken(platform: "bitbucket-dc", user: user, scopes: ["REPO_READ"])

        let token = AccessToken(secret: secret)

        let report = try await fixture.verify(.bitbucketDataCenter, token: token, repository: repository)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["REPO_WRITE"])
        #expect(report.canPush == false)
    }

    @Test func readerMayNotPush() async throws {
        let reader = Lab.uniqueName("reader")
        let repository = "\(Self.uniqueProjectKey())/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "bitbucket-dc", repository, readers: [reader])
        let secret = try await lab.addToken(platform: "bitbucket-dc", user: reader)

        let token = AccessToken(secret: secret)

        let report = try await fixture.verify(.bitbucketDataCenter, token: token, repository: repository)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["REPO_WRITE"])
    }

    @Test func archivedRepositoryRejectsPushes() async throws {
        let (_, repository, token) = try await writableRepository()
        try await lab.run(["repo", "archive", "--platform", "bitbucket-dc", repository])

        let report = try await fixture.verify(.bitbucketDataCenter, token: token, repository: repository)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["unarchived repository"])
    }

    @Test func unknownTokenIsInvalid() async throws {
        let (_, repository, _) = try await writableRepository()
        let unknown = AccessToken(secret: Secret("BBDC-" + Lab.uniqueName("unknown")))

        let report = try await fixture.verify(.bitbucketDataCenter, token: unknown, repository: repository)

        #expect(report.status == .invalid, "\(report.detail)")
        #expect(report.detail.contains("Authentication failed"))
    }

    @Test func expiredTokenWithKnownExpiryIsExpired() async throws {
        let (_, repository, token) = try await writableRepository()
        try await lab.expire(token.secret)
        let context = VerificationContext(knownExpiry: Date().addingTimeInterval(-60))

        let report = try await fixture.verify(
            .bitbucketDataCenter,
            token: token,
            repository: repository,
            context: context
        )

        #expect(report.status == .expired, "\(report.detail)")
    }

    @Test func revokedTokenIsInvalid() async throws {
        let (_, repository, token) = try await writableRepository()
        try await lab.revoke(token.secret)

        let report = try await fixture.verify(.bitbucketDataCenter, token: token, repository: repository)

        #expect(report.status == .invalid, "\(report.detail)")
    }

    @Test func missingRepositoryIsNotFound() async throws {
        let (_, repository, token) = try await writableRepository()
        let key = repository.split(separator: "/")[0]

        let report = try await fixture.verify(.bitbucketDataCenter, token: token, repository: "\(key)/no-such-repo")

        #expect(report.status == .repositoryNotFound, "\(report.detail)")
    }

    @Test func missingBranchIsNotFound() async throws {
        let (_, repository, token) = try await writableRepository()
        let path = try await lab.repositoryPath(platform: "bitbucket-dc", repository)
        try LabFixture.git(["-C", path, "branch", "main-next", "main"])

        let report = try await fixture.verify(
            .bitbucketDataCenter,
            token: token,
            repository: repository,
            branch: "mai"
        )

        #expect(report.status == .branchNotFound, "\(report.detail)")
    }

    @Test func branchIsMatchedExactly() async throws {
        let (_, repository, token) = try await writableRepository()
        let path = try await lab.repositoryPath(platform: "bitbucket-dc", repository)
        try LabFixture.git(["-C", path, "branch", "feature/main-v2", "main"])

        let report = try await fixture.verify(
            .bitbucketDataCenter,
            token: token,
            repository: repository,
            branch: "feature/main-v2"
        )

        #expect(report.status == .valid, "\(report.detail)")
    }

    @Test func rateLimitTellsRetryTime() async throws {
        let (_, repository, token) = try await writableRepository()
        let before = Date()
        try await lab.run(
            ["ratelimit", "set", "--platform", "bitbucket-dc", "--reset-in", "50", "-"],
            stdin: token.secret.revealed()
        )

        let report = try await fixture.verify(.bitbucketDataCenter, token: token, repository: repository)

        #expect(report.status == .rateLimited, "\(report.detail)")
        let retryAt = try #require(report.retryAt)
        #expect(retryAt >= before.addingTimeInterval(50 - 1))
        #expect(retryAt <= Date().addingTimeInterval(50 + 1))
    }
}
