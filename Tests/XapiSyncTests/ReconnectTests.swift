import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

@Suite("Reconnect and switch")
struct ReconnectTests {
    @Test("bad new token leaves the store unchanged")
    func badTokenChangesNothing() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let before = try await fixture.connector.integration(named: "specs", as: fixture.owner)

        let stranger = try await fixture.lab.addToken(platform: "github", user: Lab.uniqueName("stranger"))
        for bad in [Secret("not-a-token"), stranger] {
            await #expect {
                try await fixture.connector.reviewReconnect(named: "specs", token: bad, as: fixture.owner)
            } throws: { error in
                (error as? ConnectorError)?.kind == .verificationFailed
            }
        }

        let after = try await fixture.connector.integration(named: "specs", as: fixture.owner)
        #expect(after == before)
        let outcome = try await fixture.connector.sync(
            target,
            files: [SyncFile(path: "still.yaml", contents: Array("openapi: 3.1.0\n".utf8))],
            message: nil,
            as: fixture.owner
        )
        #expect(outcome.pushed)
    }

    @Test("reconnect replaces the token and syncs again")
    func reconnectRestoresSync() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        try await fixture.lab.expire(fixture.token)

        let file = SyncFile(path: "a.yaml", contents: Array("openapi: 3.0.0\n".utf8))
        await #expect {
            try await fixture.connector.sync(target, files: [file], message: nil, as: fixture.owner)
        } throws: { error in
            (error as? ConnectorError)?.kind == .integrationExpired
        }

        let fresh = try await fixture.lab.addToken(platform: "github", user: fixture.writer)
        let review = try await fixture.connector.reviewReconnect(named: "specs", token: fresh, as: fixture.owner)
        #expect(review.report.account == fixture.writer)
        #expect(!review.accountChanged)
        let updated = try await fixture.connector.applyReconnect(review, as: fixture.owner)
        #expect(updated.credentialVersion == review.integration.credentialVersion + 1)
        #expect(updated.state == .active)

        let outcome = try await fixture.connector.sync(target, files: [file], message: nil, as: fixture.owner)
        #expect(outcome.pushed)
        await #expect(try fixture.remoteFile("openapi/a.yaml") == file.contents)
    }

    @Test("reconnect review warns about another account")
    func reviewWarnsAboutAccountChange() async throws {
        let other = Lab.uniqueName("other")
        let fixture = try await LabFixture(extraWriters: [other])
        _ = try await fixture.addSyncedAPI()
        let otherToken = try await fixture.lab.addToken(platform: "github", user: other)

        let review = try await fixture.connector.reviewReconnect(named: "specs", token: otherToken, as: fixture.owner)
        #expect(review.accountChanged)
        #expect(review.report.account == other)
    }

    @Test("switch to an expired integration is refused")
    func switchToExpiredRefused() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let second = try await fixture.lab.addToken(platform: "github", user: fixture.writer)
        _ = try await fixture.connector.addIntegration(fixture.spec("second"), token: AccessToken(secret: second), as: fixture.owner)
        try await fixture.lab.expire(second)

        await #expect {
            try await fixture.connector.switchTarget(target, to: "second", as: fixture.owner)
        } throws: { error in
            (error as? ConnectorError)?.kind == .integrationExpired
        }
        #expect(try await fixture.connector.target(target, as: fixture.owner).integration?.name == "specs")
    }

    @Test("roles gate switching and syncing")
    func rolesGateActions() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        try await fixture.connector.addMember("rita", role: .reviewer, as: fixture.owner)
        try await fixture.connector.addMember("eddie", role: .editor, as: fixture.owner)
        try await fixture.connector.addMember("vic", role: .viewer, as: fixture.owner)

        await #expect {
            try await fixture.connector.switchTarget(target, to: "specs", as: "eddie")
        } throws: { error in
            guard let error = error as? ConnectorError else { return false }
            return error.kind == .permissionDenied && error.message.contains("owner, admin, reviewer")
        }
        _ = try await fixture.connector.switchTarget(target, to: "specs", as: "rita")

        let file = SyncFile(path: "r.yaml", contents: Array("openapi: 3.0.0\n".utf8))
        await #expect {
            try await fixture.connector.sync(target, files: [file], message: nil, as: "vic")
        } throws: { error in
            (error as? ConnectorError)?.kind == .permissionDenied
        }
        #expect(try await fixture.connector.sync(target, files: [file], message: nil, as: "eddie").pushed)
    }
}
