import Foundation
import LabSupport
import Testing
import XapiCore
import XapiHTTP
import XapiPlatforms

/// The GitHub adapter against the lab's GitHub Enterprise Server emulation, one test per report class.
@Suite struct GitHubLabTests {
    let fixture: LabFixture
    var lab: Lab { fixture.lab }

    init() throws {
        fixture = try LabFixture()
    }

    /// Creates a user, a repository that the user owns, and a token of the user with the default scope `repo`.
    func ownedRepository(
        expires: String? = nil,
        scopes: [String]? = nil,
        protect: [String] = []
    ) async throws -> (user: String, repository: String, token: AccessToken) {
        let user = Lab.uniqueName("octo")
        let repository = "\(user)/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "github", repository, protect: protect)
        let secret = try await lab.addToken(platform: "github", user: user, expires: expires, scopes: scopes)
        return (user, repository, AccessToken(secret: secret))
    }

    @Test func ownerTokenIsValid() async throws {
        let (user, repository, token) = try await ownedRepository()

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.account == user)
        #expect(report.canPush == true)
        #expect(report.branchProtected == false)
        #expect(report.scopes == ["repo"])
        #expect(report.missing.isEmpty)
        let expiresAt = try #require(report.expiresAt)
        #expect(abs(expiresAt.timeIntervalSinceNow - 30 * 86_400) < 120)
        #expect(report.detail.contains(repository))
    }

    @Test func tokenWithoutExpiryHasNoDate() async throws {
        let (_, repository, token) = try await ownedRepository(expires: "never")

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .valid)
        #expect(report.expiresAt == nil)
    }

    @Test func tokenExpiringInTwoDaysIsExpiringSoon() async throws {
        let (_, repository, token) = try await ownedRepository(expires: LabFixture.isoDate(secondsFromNow: 2 * 86_400))

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .expiringSoon, "\(report.detail)")
        #expect(report.canPush == true)
        #expect(report.permitsSync)
        #expect(report.detail.contains("expires"))
    }

    @Test func expiryHeaderInPastIsExpired() async throws {
        let (_, repository, token) = try await ownedRepository()
        let later = VerificationContext(now: Date().addingTimeInterval(40 * 86_400))

        let report = try await fixture.verify(.github, token: token, repository: repository, context: later)

        #expect(report.status == .expired, "\(report.detail)")
        #expect(!report.permitsSync)
    }

    @Test func unauthorizedAfterKnownExpiryIsExpired() async throws {
        let (_, repository, token) = try await ownedRepository()
        try await lab.expire(token.secret)
        let context = VerificationContext(knownExpiry: Date().addingTimeInterval(-60))

        let report = try await fixture.verify(.github, token: token, repository: repository, context: context)

        #expect(report.status == .expired, "\(report.detail)")
        #expect(report.detail.contains("create a new token"))
    }

    @Test func unauthorizedWithoutKnownExpiryIsInvalid() async throws {
        let (_, repository, token) = try await ownedRepository()
        try await lab.expire(token.secret)

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .invalid, "\(report.detail)")
        #expect(report.detail.contains("Bad credentials"))
        #expect(report.detail.contains("Create a new token"))
    }

    @Test func revokedTokenIsInvalid() async throws {
        let (_, repository, token) = try await ownedRepository()
        try await lab.revoke(token.secret)

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .invalid)
    }

    @Test func unknownTokenIsInvalid() async throws {
        let (_, repository, _) = try await ownedRepository()
        let unknown = AccessToken(secret: Secret("ghp_unknown" + Lab.uniqueName("token").dropFirst("token-".count)))

        let report = try await fixture.verify(.github, token: unknown, repository: repository)

        #expect(report.status == .invalid)
        #expect(report.account == nil)
    }

    @Test func readerMayNotPush() async throws {
        let owner = Lab.uniqueName("owner")
        let reader = Lab.uniqueName("reader")
        let repository = "\(owner)/\(Lab.uniqueName("shared"))"
        try await lab.addRepo(platform: "github", repository, readers: [reader])
        let token = AccessToken(secret: try await lab.addToken(platform: "github", user: reader))

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["push"])
        #expect(report.canPush == false)
        #expect(report.account == reader)
        #expect(report.detail.contains("no write access"))
    }

    @Test func tokenWithoutRepoScopeLacksRepo() async throws {
        let (_, repository, token) = try await ownedRepository(scopes: ["read:org"])

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["repo"])
        #expect(report.scopes == ["read:org"])
    }

    @Test func archivedRepositoryRejectsPushes() async throws {
        let (_, repository, token) = try await ownedRepository()
        try await lab.run(["repo", "archive", "--platform", "github", repository])

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["unarchived repository"])
        #expect(report.detail.contains("archived"))
    }

    @Test func missingRepositoryIsNotFound() async throws {
        let (user, _, token) = try await ownedRepository()

        let report = try await fixture.verify(.github, token: token, repository: "\(user)/no-such-repository")

        #expect(report.status == .repositoryNotFound)
        #expect(report.detail.contains("does not exist or the token cannot see it"))
        #expect(report.detail.contains("repo scope"))
    }

    @Test func malformedRepositoryNameIsNotFound() async throws {
        let (_, _, token) = try await ownedRepository()

        let report = try await fixture.verify(.github, token: token, repository: "just-a-name")

        #expect(report.status == .repositoryNotFound)
        #expect(report.detail.contains("OWNER/REPO"))
    }

    @Test func missingBranchIsNotFound() async throws {
        let (_, repository, token) = try await ownedRepository()

        let report = try await fixture.verify(.github, token: token, repository: repository, branch: "no-such-branch")

        #expect(report.status == .branchNotFound)
        #expect(report.detail.contains("no-such-branch"))
        #expect(report.detail.contains("`main`"))
    }

    @Test func branchWithSlashIsFound() async throws {
        let (_, repository, token) = try await ownedRepository()
        let path = try await lab.repositoryPath(platform: "github", repository)
        try LabFixture.git(["-C", path, "branch", "feature/api-v2", "main"])

        let report = try await fixture.verify(
            .github,
            token: token,
            repository: repository,
            branch: "feature/api-v2"
        )

        #expect(report.status == .valid, "\(report.detail)")
    }

    @Test func protectedBranchIsNoted() async throws {
        let (_, repository, token) = try await ownedRepository(protect: ["main"])

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .valid)
        #expect(report.branchProtected == true)
        #expect(report.notes.contains { $0.contains("protected") })
    }

    @Test func singleSignOnIsRequiredUntilAuthorized() async throws {
        let (user, repository, token) = try await ownedRepository()
        try await lab.run(["sso", "enforce", "--platform", "github", user])

        let rejected = try await fixture.verify(.github, token: token, repository: repository)

        #expect(rejected.status == .ssoRequired, "\(rejected.detail)")
        let url = try #require(rejected.ssoAuthorizationURL)
        #expect(url.hasPrefix(lab.baseURL("github") + "/orgs/\(user)/sso"))
        #expect(rejected.detail.contains(url))

        try await lab.run(["sso", "authorize", "-", user], stdin: token.secret.revealed())
        let authorized = try await fixture.verify(.github, token: token, repository: repository)

        #expect(authorized.status == .valid, "\(authorized.detail)")
    }

    @Test func primaryRateLimitTellsResetTime() async throws {
        let (_, repository, token) = try await ownedRepository()
        let before = Date()
        try await lab.run(
            ["ratelimit", "set", "--platform", "github", "--kind", "primary", "--reset-in", "120", "-"],
            stdin: token.secret.revealed()
        )

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .rateLimited, "\(report.detail)")
        #expect(report.detail.contains("primary"))
        let retryAt = try #require(report.retryAt)
        #expect(retryAt >= before.addingTimeInterval(120 - 1))
        #expect(retryAt <= Date().addingTimeInterval(120 + 1))
        #expect(report.missing.isEmpty)
    }

    @Test func secondaryRateLimitTellsRetryAfter() async throws {
        let (_, repository, token) = try await ownedRepository()
        let before = Date()
        try await lab.run(
            ["ratelimit", "set", "--platform", "github", "--kind", "secondary", "--reset-in", "90", "-"],
            stdin: token.secret.revealed()
        )

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .rateLimited, "\(report.detail)")
        #expect(report.detail.contains("secondary"))
        let retryAt = try #require(report.retryAt)
        #expect(retryAt >= before.addingTimeInterval(90 - 1))
        #expect(retryAt <= Date().addingTimeInterval(90 + 1))
    }

    @Test func renamedRepositoryReportsNewName() async throws {
        let (user, repository, token) = try await ownedRepository()
        let newName = "\(user)/\(Lab.uniqueName("renamed"))"
        try await lab.run(["repo", "rename", "--platform", "github", repository, newName])

        let report = try await fixture.verify(.github, token: token, repository: repository)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.canonicalRepository == newName)
        #expect(report.notes.contains { $0.contains(newName) })
    }
}
