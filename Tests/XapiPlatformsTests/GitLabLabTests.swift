import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms

/// The GitLab adapter against the lab's GitLab emulation, one test per report class.
@Suite struct GitLabLabTests {
    let fixture: LabFixture
    var lab: Lab { fixture.lab }

    init() throws {
        fixture = try LabFixture()
    }

    /// Creates a user, a project `user/apis/project` that the user owns, and a token of the user.
    func ownedProject(
        expires: String? = nil,
        scopes: [String]? = nil,
        extra: [String] = [],
        protect: [String] = []
    ) async throws -> (user: String, project: String, token: AccessToken) {
        let user = Lab.uniqueName("dev")
        let project = "\(user)/apis/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "gitlab", project, protect: protect)
        let secret = try await lab.addToken(platform: "gitlab", user: user, expires: expires, scopes: scopes, extra: extra)
        return (user, project, AccessToken(secret: secret))
    }

    @Test func ownerTokenIsValid() async throws {
        let (user, project, token) = try await ownedProject()

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.account == user)
        #expect(report.canPush == true)
        #expect(report.branchProtected == false)
        #expect(Set(report.scopes) == ["api", "write_repository"])
        let projectID = try #require(report.platformProjectID)
        #expect(Int(projectID) != nil)
        let expiresAt = try #require(report.expiresAt)
        #expect(expiresAt.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) == 0)
        #expect(abs(expiresAt.timeIntervalSinceNow - 30 * 86_400) < 86_400 + 60)
    }

    @Test func pastedProjectURLIsAccepted() async throws {
        let (_, project, token) = try await ownedProject()
        let pasted = lab.baseURL("gitlab") + "/" + project + "/-/tree/main"

        let report = try await fixture.verify(.gitlab, token: token, repository: pasted)

        #expect(report.status == .valid, "\(report.detail)")
    }

    @Test func tokenExpiringInThreeDaysIsExpiringSoon() async throws {
        let day = Date().addingTimeInterval(3 * 86_400).formatted(.iso8601.year().month().day())
        let (_, project, token) = try await ownedProject(expires: day)

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .expiringSoon, "\(report.detail)")
        #expect(report.expiresAt == (try Date(day + "T00:00:00Z", strategy: .iso8601)))
    }

    @Test func expiredTokenIsExpired() async throws {
        let (_, project, token) = try await ownedProject()
        try await lab.expire(token.secret)

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .expired, "\(report.detail)")
    }

    @Test func revokedTokenIsRevoked() async throws {
        let (_, project, token) = try await ownedProject()
        try await lab.revoke(token.secret)

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .revoked, "\(report.detail)")
    }

    @Test func unknownTokenIsInvalid() async throws {
        let (_, project, _) = try await ownedProject()

        let report = try await fixture.verify(
            .gitlab,
            token: AccessToken(secret: Secret("glpat-" + Lab.uniqueName("unknown"))),
            repository: project
        )

        #expect(report.status == .invalid, "\(report.detail)")
    }

    @Test func blockedAccountIsBlocked() async throws {
        let (_, project, token) = try await ownedProject(extra: ["--blocked"])

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .accountBlocked, "\(report.detail)")
        #expect(report.detail.contains("administrator"))
    }

    @Test func gitOnlyTokenLacksUserScope() async throws {
        let (_, project, token) = try await ownedProject(scopes: ["write_repository"])

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["api", "read_api", "read_user"])
    }

    @Test func readOnlyTokenLacksWriteScope() async throws {
        let (_, project, token) = try await ownedProject(scopes: ["read_api", "read_user"])

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["write_repository"])
        #expect(report.canPush == false)
    }

    @Test func reporterLacksDeveloperRole() async throws {
        let owner = Lab.uniqueName("owner")
        let reader = Lab.uniqueName("reporter")
        let project = "\(owner)/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "gitlab", project, readers: [reader])
        let token = AccessToken(secret: try await lab.addToken(platform: "gitlab", user: reader))

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["Developer role"])
        #expect(report.detail.contains("20 (Reporter)"))
    }

    @Test func inheritedAccessIsReadFromMembers() async throws {
        let owner = Lab.uniqueName("owner")
        let member = Lab.uniqueName("member")
        let project = "\(owner)/\(Lab.uniqueName("specs"))"
        try await lab.addRepo(platform: "gitlab", project, extra: ["--group-writer", member])
        let token = AccessToken(secret: try await lab.addToken(platform: "gitlab", user: member))

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.canPush == true)
    }

    @Test func archivedProjectRejectsPushes() async throws {
        let (_, project, token) = try await ownedProject()
        try await lab.run(["repo", "archive", "--platform", "gitlab", project])

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.missing == ["unarchived project"])
    }

    @Test func missingProjectIsNotFound() async throws {
        let (user, _, token) = try await ownedProject()

        let report = try await fixture.verify(.gitlab, token: token, repository: "\(user)/no-such-project")

        #expect(report.status == .repositoryNotFound, "\(report.detail)")
    }

    @Test func missingBranchIsNotFound() async throws {
        let (_, project, token) = try await ownedProject()

        let report = try await fixture.verify(.gitlab, token: token, repository: project, branch: "release/9")

        #expect(report.status == .branchNotFound, "\(report.detail)")
        #expect(report.detail.contains("`main`"))
    }

    @Test func protectedBranchWithoutPushRight() async throws {
        let (_, project, token) = try await ownedProject(protect: ["main"])

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .insufficientPermission, "\(report.detail)")
        #expect(report.branchProtected == true)
        #expect(report.canPush == false)
        #expect(report.missing == ["push to branch main"])
    }

    @Test func serverWithoutTokenEndpointIsNoted() async throws {
        let (_, project, token) = try await ownedProject(extra: ["--no-self-endpoint"])

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .valid, "\(report.detail)")
        #expect(report.expiresAt == nil)
        #expect(report.notes.contains { $0.contains("does not report token expiry") })
        #expect(report.notes.contains { $0.contains("15.5") })
    }

    @Test func rateLimitTellsRetryTime() async throws {
        let (_, project, token) = try await ownedProject()
        let before = Date()
        try await lab.run(
            ["ratelimit", "set", "--platform", "gitlab", "--reset-in", "45", "-"],
            stdin: token.secret.revealed()
        )

        let report = try await fixture.verify(.gitlab, token: token, repository: project)

        #expect(report.status == .rateLimited, "\(report.detail)")
        let retryAt = try #require(report.retryAt)
        #expect(retryAt >= before.addingTimeInterval(45 - 1))
        #expect(retryAt <= Date().addingTimeInterval(45 + 1))
    }
}
