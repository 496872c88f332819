import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

@Suite("Sync through the lab")
struct SyncTests {
    @Test("sync pushes exact bytes, once per change")
    func syncPushesExactBytes() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let before = try await fixture.commitCount()

        let first = Array("openapi: 3.0.3\r\ninfo:\r\n  title: Orders\r\n  version: '1'\r\npaths: {}".utf8)
        let outcome = try await fixture.connector.sync(
            target,
            files: [SyncFile(path: "orders.yaml", contents: first)],
            message: "First",
            as: fixture.owner
        )
        #expect(outcome.pushed)
        #expect(outcome.paths == ["openapi/orders.yaml"])
        await #expect(try fixture.remoteFile("openapi/orders.yaml") == first)
        await #expect(try fixture.remoteFile("README.md").isEmpty == false)
        await #expect(try fixture.commitCount() == before + 1)

        let unchanged = try await fixture.connector.sync(
            target,
            files: [SyncFile(path: "orders.yaml", contents: first)],
            message: nil,
            as: fixture.owner
        )
        #expect(unchanged.commit == nil)
        await #expect(try fixture.commitCount() == before + 1)

        let view = try await fixture.connector.target(target, as: fixture.owner)
        #expect(view.lastSync?.commitID == outcome.commit)
        #expect(view.integration?.name == "specs")
    }

    @Test("protected branch refusal carries the server's text")
    func protectedBranchRefusal() async throws {
        let fixture = try await LabFixture(protect: ["main"])
        let target = try await fixture.addSyncedAPI()
        let before = try await fixture.commitCount()

        await #expect {
            try await fixture.connector.sync(
                target,
                files: [SyncFile(path: "a.yaml", contents: Array("openapi: 3.0.0\n".utf8))],
                message: nil,
                as: fixture.owner
            )
        } throws: { error in
            guard let error = error as? ConnectorError else { return false }
            return error.kind == .pushRejected && error.message.contains("GH006")
        }
        await #expect(try fixture.commitCount() == before)
    }

    @Test("revoked token makes sync report expiry")
    func revokedTokenRefusesSync() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        try await fixture.lab.revoke(fixture.token)

        do {
            _ = try await fixture.connector.sync(
                target,
                files: [SyncFile(path: "a.yaml", contents: Array("openapi: 3.0.0\n".utf8))],
                message: nil,
                as: fixture.owner
            )
            Issue.record("a sync with a revoked token succeeded")
        } catch let error as ConnectorError {
            #expect(error.kind == .integrationExpired)
            #expect(error.message.contains("reconnect"))
            #expect(!error.message.contains(fixture.token.revealed()))
        }
        let record = try await fixture.connector.integration(named: "specs", as: fixture.owner)
        #expect(record.state == .expired)
    }

    @Test("expired stored date refuses sync before network")
    func storedExpiryRefusesSync() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let stored = try await fixture.connector.integration(named: "specs", as: fixture.owner)
        let expiry = try #require(stored.expiresAt)

        // The same home seen a day after the token's expiry: the platform still accepts the token, so
        // only the stored date can refuse the sync.
        var configuration = fixture.connector.configuration
        configuration.now = { expiry.addingTimeInterval(24 * 3600) }
        let later = try Connector(configuration: configuration)

        await #expect {
            try await later.sync(
                target,
                files: [SyncFile(path: "a.yaml", contents: Array("openapi: 3.0.0\n".utf8))],
                message: nil,
                as: fixture.owner
            )
        } throws: { error in
            (error as? ConnectorError)?.kind == .integrationExpired
        }
        #expect(try await later.integration(named: "specs", as: fixture.owner).state == .expired)
    }

    @Test("file paths that escape the folder are refused")
    func invalidPathsRefused() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        for path in ["/etc/passwd", "../x.yaml", "a/../../x.yaml", ".git/config", "a//b.yaml", "sub/.GIT/x"] {
            await #expect(throws: ConnectorError.self, "path \(path)") {
                try await fixture.connector.sync(
                    target,
                    files: [SyncFile(path: path, contents: Array("x".utf8))],
                    message: nil,
                    as: fixture.owner
                )
            }
        }
    }
}
