import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

@Suite("Pull and pull request mode")
struct SyncReviewTests {
    @Test("pull returns the branch's edits")
    func pullRoundTrip() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let fragment = Array("commentId:\r\n  type: string".utf8)
        _ = try await fixture.connector.sync(
            target,
            files: [
                SyncFile(path: "orders.yaml", contents: description(version: 1)),
                SyncFile(path: "common/schemas.yaml", contents: fragment),
            ],
            message: nil,
            as: fixture.owner
        )
        let edited = description(version: 5)
        let elsewhere = try await fixture.commitElsewhere(["openapi/orders.yaml": edited])

        let pulled = try await fixture.connector.pull(target, as: fixture.owner)

        #expect(pulled.commit == elsewhere)
        #expect(pulled.missing.isEmpty)
        let byPath = Dictionary(uniqueKeysWithValues: pulled.files.map { ($0.path, $0.contents) })
        #expect(byPath.keys.sorted() == ["common/schemas.yaml", "orders.yaml"])
        #expect(byPath["orders.yaml"] == edited)
        #expect(byPath["common/schemas.yaml"] == fragment)

        // The pulled files sync back unchanged, and the edit now counts as the synced version.
        let back = try await fixture.connector.sync(target, files: pulled.files, message: nil, as: fixture.owner)
        #expect(back.pushed == false)
        let next = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: description(version: 6))], message: nil,
            as: fixture.owner)
        #expect(next.pushed)
    }

    @Test("pull without a sync is not found")
    func pullWithoutSync() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()

        await #expect {
            try await fixture.connector.pull(target, as: fixture.owner)
        } throws: { error in
            (error as? ConnectorError)?.kind == .notFound
        }
    }

    @Test("pull request opened then updated", arguments: Platform.allCases)
    func pullRequestOpenedThenUpdated(_ platform: Platform) async throws {
        let fixture = try await LabFixture(platform: platform)
        let target = try await fixture.addSyncedAPI()
        let mainBefore = try await fixture.tip()

        let first = try await fixture.connector.sync(
            target,
            files: [SyncFile(path: "orders.yaml", contents: description(version: 1))],
            options: SyncOptions(viaPullRequest: true),
            as: fixture.owner
        )

        #expect(first.branch == "xapi-git/shop-orders-v1")
        let opened = try #require(first.changeRequest)
        #expect(opened.isNew)
        #expect(opened.webURL.hasPrefix(fixture.lab.url))
        await #expect(try fixture.tip() == mainBefore)
        await #expect(try fixture.remoteFile("openapi/orders.yaml", branch: first.branch) == description(version: 1))

        let second = try await fixture.connector.sync(
            target,
            files: [SyncFile(path: "orders.yaml", contents: description(version: 2))],
            options: SyncOptions(viaPullRequest: true),
            as: fixture.owner
        )

        let updated = try #require(second.changeRequest)
        #expect(updated.isNew == false)
        #expect(updated.number == opened.number)
        #expect(updated.webURL == opened.webURL)
        #expect(second.pushed)
        await #expect(try fixture.commitCount(branch: first.branch) == fixture.commitCount() + 2)
        await #expect(try fixture.remoteFile("openapi/orders.yaml", branch: first.branch) == description(version: 2))
        await #expect(try fixture.tip() == mainBefore)
    }
}
