import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

/// Syncs that follow other syncs: after pull request mode, after a switch to another integration of the
/// same repository, and after an unchanged sync.
@Suite("Syncs after earlier syncs")
struct SyncFollowUpTests {
    static func description(_ version: Int) -> [UInt8] {
        Array("openapi: 3.0.3\ninfo: {title: Orders, version: '\(version)'}\npaths: {}\n".utf8)
    }

    @Test("direct sync after pull request mode")
    func directSyncAfterPullRequest() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let file = { (version: Int) in SyncFile(path: "orders.yaml", contents: Self.description(version)) }

        _ = try await fixture.connector.sync(target, files: [file(1)], options: SyncOptions(viaPullRequest: true), as: fixture.owner)
        _ = try await fixture.connector.sync(target, files: [file(2)], options: SyncOptions(viaPullRequest: true), as: fixture.owner)

        // The file never reached main through the pull request, so a direct sync is no conflict.
        let direct = try await fixture.connector.sync(target, files: [file(2)], options: SyncOptions(), as: fixture.owner)
        #expect(direct.pushed)
        #expect(try await fixture.remoteFile("openapi/orders.yaml") == Self.description(2))
    }

    @Test("switch to a sibling integration")
    func switchToSiblingIntegration() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let file = SyncFile(path: "orders.yaml", contents: Self.description(1))
        _ = try await fixture.connector.sync(target, files: [file], options: SyncOptions(), as: fixture.owner)

        let sibling = try await fixture.lab.addToken(platform: "github", user: fixture.writer)
        _ = try await fixture.connector.addIntegration(fixture.spec("sibling"), token: AccessToken(secret: sibling), as: fixture.owner)
        _ = try await fixture.connector.switchTarget(target, to: "sibling", as: fixture.owner)

        // The file on the branch is the one this API version wrote through the other integration.
        let next = SyncFile(path: "orders.yaml", contents: Self.description(2))
        let outcome = try await fixture.connector.sync(target, files: [next], options: SyncOptions(), as: fixture.owner)
        #expect(outcome.pushed)
    }

    @Test("viewer pulls; show keeps the commit")
    func viewerPullsAndShowKeepsCommit() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let file = SyncFile(path: "orders.yaml", contents: Self.description(1))
        let first = try await fixture.connector.sync(target, files: [file], options: SyncOptions(), as: fixture.owner)
        let unchanged = try await fixture.connector.sync(target, files: [file], options: SyncOptions(), as: fixture.owner)
        #expect(unchanged.commit == nil)

        let view = try await fixture.connector.target(target, as: fixture.owner)
        #expect(view.lastSync?.commitID == first.commit)

        try await fixture.connector.addMember("vic", role: .viewer, as: fixture.owner)
        let pulled = try await fixture.connector.pull(target, as: "vic")
        #expect(pulled.files.map(\.path) == ["orders.yaml"])
        #expect(pulled.files.first?.contents == file.contents)
    }
}
