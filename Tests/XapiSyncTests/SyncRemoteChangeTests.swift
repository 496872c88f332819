import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

/// Version `n` of a small OpenAPI description.
func description(version: Int) -> [UInt8] {
    Array("openapi: 3.0.3\ninfo:\n  title: Orders\n  version: '\(version)'\npaths: {}\n".utf8)
}

@Suite("Sync when the remote changed")
struct SyncRemoteChangeTests {
    @Test("remote ahead is rebuilt on")
    func remoteAheadRebuilt() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: description(version: 1))], message: nil,
            as: fixture.owner)
        let other = Array("# Notes written on the platform\n".utf8)
        let elsewhere = try await fixture.commitElsewhere(["openapi/NOTES.md": other])

        let outcome = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: description(version: 2))], message: nil,
            as: fixture.owner)

        #expect(outcome.pushed)
        await #expect(try fixture.remoteFile("openapi/orders.yaml") == description(version: 2))
        await #expect(try fixture.remoteFile("openapi/NOTES.md") == other)
        let parent = try await fixture.git(["rev-parse", "main^"])
        #expect(String(decoding: parent, as: UTF8.self).trimmingWhitespaceAndNewlines() == elsewhere)
    }

    @Test("branch moving during the push is rebuilt")
    func branchMovingDuringPushRebuilt() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: description(version: 1))], message: nil,
            as: fixture.owner)

        // The lab computes a reference advertisement when the request arrives and sends it after the delay.
        // The sync's fetch therefore gets the old tip, and its push connection, which arrives after the
        // delay, gets the commit pushed in between, so libgit2 finds the push is not a fast-forward. (When the
        // commit lands later still, git rejects the update with "cannot lock ref", which the sync retries too.)
        let notes = Array("# Written while the sync ran\n".utf8)
        let prepared = try await fixture.prepareCommit(["openapi/NOTES.md": notes])
        let prefix = "/github/\(fixture.repository).git/info/refs"
        try await fixture.lab.run(["latency", "3000", "--prefix", prefix])
        let recorder = LogRecorder()
        let connector = try fixture.connector(log: recorder.log)
        let sync = Task {
            try await connector.sync(
                target, files: [SyncFile(path: "orders.yaml", contents: description(version: 2))], message: nil,
                as: fixture.owner)
        }
        try await Task.sleep(for: .milliseconds(1500))
        try await fixture.push(prepared)

        let outcome = try await sync.value
        try await fixture.lab.run(["latency", "0", "--prefix", prefix])

        #expect(outcome.pushed)
        #expect(recorder.entries("branch moved during the push; rebuilding on the new tip").count == 1)
        await #expect(try fixture.remoteFile("openapi/orders.yaml") == description(version: 2))
        await #expect(try fixture.remoteFile("openapi/NOTES.md") == notes)
        let parent = try await fixture.git(["rev-parse", "main^"])
        #expect(String(decoding: parent, as: UTF8.self).trimmingWhitespaceAndNewlines() == prepared.commit)
    }

    @Test("conflicting remote edit stops the sync")
    func conflictingEditStops() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: description(version: 1))], message: nil,
            as: fixture.owner)
        let theirs = Array("openapi: 3.0.3\ninfo:\n  title: Edited on the platform\n  version: '1'\npaths: {}\n".utf8)
        let elsewhere = try await fixture.commitElsewhere(["openapi/orders.yaml": theirs])

        do {
            _ = try await fixture.connector.sync(
                target, files: [SyncFile(path: "orders.yaml", contents: description(version: 2))], message: nil,
                as: fixture.owner)
            Issue.record("a conflicting sync was pushed")
        } catch let error as ConnectorError {
            #expect(error.kind == .conflict)
            #expect(error.message.contains("'openapi/orders.yaml' was changed"))
            #expect(error.message.contains(elsewhere))
            #expect(error.message.contains("--overwrite"))
        }
        await #expect(try fixture.tip() == elsewhere)
        await #expect(try fixture.remoteFile("openapi/orders.yaml") == theirs)

        let unrelated = try await fixture.connector.sync(
            target, files: [SyncFile(path: "payments.yaml", contents: description(version: 1))], message: nil,
            as: fixture.owner)
        #expect(unrelated.pushed)
    }

    @Test("overwrite replaces and is audited")
    func overwriteReplacesAndAudits() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: description(version: 1))], message: nil,
            as: fixture.owner)
        try await fixture.commitElsewhere(["openapi/orders.yaml": description(version: 99)])

        let outcome = try await fixture.connector.sync(
            target,
            files: [SyncFile(path: "orders.yaml", contents: description(version: 2))],
            options: SyncOptions(overwrite: true),
            as: fixture.owner
        )

        #expect(outcome.overwritten == ["openapi/orders.yaml"])
        await #expect(try fixture.remoteFile("openapi/orders.yaml") == description(version: 2))
        let latest = try await fixture.connector.auditEntries(limit: 1, as: fixture.owner).first
        #expect(latest?.action == "sync.overwrite")
        #expect(latest?.after?["overwritten"] == "openapi/orders.yaml")

        let next = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: description(version: 3))], message: nil,
            as: fixture.owner)
        #expect(next.pushed)
        #expect(next.overwritten.isEmpty)
    }

    @Test("unsynced file on the branch is a conflict")
    func unsyncedRemoteFileConflicts() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let theirs = description(version: 7)
        try await fixture.commitElsewhere(["openapi/orders.yaml": theirs])

        await #expect {
            try await fixture.connector.sync(
                target, files: [SyncFile(path: "orders.yaml", contents: description(version: 1))], message: nil,
                as: fixture.owner)
        } throws: { error in
            guard let error = error as? ConnectorError else { return false }
            return error.kind == .conflict && error.message.contains("never written by a sync")
        }
        await #expect(try fixture.remoteFile("openapi/orders.yaml") == theirs)

        let same = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: theirs)], message: nil, as: fixture.owner)
        #expect(same.pushed == false)
    }

    @Test("missing branch names the default branch")
    func missingBranchNamesDefault() async throws {
        let fixture = try await LabFixture()
        try await fixture.setBranch("docs", to: try await fixture.tip())
        let target = try await fixture.addSyncedAPI(branch: "docs")
        try await fixture.deleteBranch("docs")
        let files = [SyncFile(path: "orders.yaml", contents: description(version: 1))]

        do {
            _ = try await fixture.connector.sync(target, files: files, options: SyncOptions(), as: fixture.owner)
            Issue.record("a sync to a missing branch succeeded")
        } catch let error as ConnectorError {
            #expect(error.kind == .notFound)
            #expect(error.message.contains("default branch is 'main'"))
            #expect(error.message.contains("--create-branch"))
        }
        await #expect(try fixture.tip(branch: "docs").isEmpty)

        let created = try await fixture.connector.sync(
            target, files: files, options: SyncOptions(createBranch: true), as: fixture.owner)
        #expect(created.createdFrom == "main")
        await #expect(try fixture.remoteFile("openapi/orders.yaml", branch: "docs") == description(version: 1))
        await #expect(try fixture.remoteFile("README.md", branch: "docs").isEmpty == false)
        await #expect(try fixture.commitCount(branch: "docs") == fixture.commitCount(branch: "main") + 1)
    }

    @Test("empty repository gets a first commit")
    func emptyRepositoryFirstCommit() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        try await fixture.deleteBranch("main")

        let outcome = try await fixture.connector.sync(
            target, files: [SyncFile(path: "orders.yaml", contents: description(version: 1))], message: nil,
            as: fixture.owner)

        #expect(outcome.pushed)
        #expect(outcome.createdFrom == nil)
        await #expect(try fixture.commitCount() == 1)
        await #expect(try fixture.remoteFile("openapi/orders.yaml") == description(version: 1))
    }
}
