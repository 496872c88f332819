import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiStore
import XapiSync

@Suite("Organization workflows")
struct WorkflowTests {
    @Test("edit moves the branch after review")
    func editBranchAfterReview() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.git(["branch", "release", "main"])
        let before = try await fixture.connector.integration(named: "specs", as: fixture.owner)

        let review = try await fixture.connector.reviewEdit(
            named: "specs",
            changes: IntegrationChanges(branch: "release"),
            as: fixture.owner
        )
        #expect(review.changes == [FieldChange(field: "branch", old: "main", new: "release")])
        #expect(review.report.status == .valid)
        #expect(try await fixture.connector.integration(named: "specs", as: fixture.owner) == before)

        let updated = try await fixture.connector.applyEdit(review, as: fixture.owner)
        #expect(updated.branch == "release")
        #expect(updated.state == .active)
        #expect(updated.credentialVersion == before.credentialVersion)

        let file = SyncFile(path: "edited.yaml", contents: Array("openapi: 3.1.0\n".utf8))
        let outcome = try await fixture.connector.sync(target, files: [file], message: nil, as: fixture.owner)
        #expect(outcome.branch == "release")
        #expect(try await fixture.remoteFile("openapi/edited.yaml", branch: "release") == file.contents)
        #expect(try await fixture.remoteFile("openapi/edited.yaml", branch: "main").isEmpty)

        let entry = try #require(
            try await fixture.connector.auditEntries(limit: 20, as: fixture.owner).first { $0.action == "integration.edit" }
        )
        #expect(entry.changes.map(\.text) == ["branch: main -> release"])
    }

    @Test("edit with failing live check changes nothing")
    func editFailingCheckChangesNothing() async throws {
        let fixture = try await LabFixture()
        _ = try await fixture.addSyncedAPI()
        let before = try await fixture.connector.integration(named: "specs", as: fixture.owner)
        let historyBefore = try await fixture.connector.stateHistory(named: "specs", as: fixture.owner)
        let auditBefore = try await fixture.connector.auditEntries(limit: 100, as: fixture.owner)

        // A missing branch fails as not found (exit code 6), a repository the token cannot see as a failed
        // verification (exit code 5).
        let failing: [(IntegrationChanges, ConnectorError.Kind)] = [
            (IntegrationChanges(branch: "no-such-branch"), .notFound),
            (IntegrationChanges(repository: fixture.repositoryOwner + "/no-such-repository"), .verificationFailed),
        ]
        for (changes, expectedKind) in failing {
            await #expect {
                _ = try await fixture.connector.reviewEdit(named: "specs", changes: changes, as: fixture.owner)
            } throws: { error in
                guard let error = error as? ConnectorError else { return false }
                return error.kind == expectedKind && error.message.contains("was not changed")
            }
        }

        #expect(try await fixture.connector.integration(named: "specs", as: fixture.owner) == before)
        #expect(try await fixture.connector.stateHistory(named: "specs", as: fixture.owner) == historyBefore)
        #expect(try await fixture.connector.auditEntries(limit: 100, as: fixture.owner) == auditBefore)
    }

    @Test("edit review made stale by a reconnect is rejected")
    func staleEditReviewRejected() async throws {
        let fixture = try await LabFixture()
        _ = try await fixture.addSyncedAPI()
        let review = try await fixture.connector.reviewEdit(
            named: "specs",
            changes: IntegrationChanges(folder: "specs"),
            as: fixture.owner
        )

        let fresh = try await fixture.lab.addToken(platform: "github", user: fixture.writer)
        let reconnect = try await fixture.connector.reviewReconnect(named: "specs", token: fresh, as: fixture.owner)
        _ = try await fixture.connector.applyReconnect(reconnect, as: fixture.owner)

        await #expect {
            _ = try await fixture.connector.applyEdit(review, as: fixture.owner)
        } throws: { error in
            (error as? ConnectorError)?.kind == .failed
        }
        #expect(try await fixture.connector.integration(named: "specs", as: fixture.owner).folder == "openapi")
    }

    @Test("remove detaches targets and deletes the mirror")
    func removeDetachesTargets() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let file = SyncFile(path: "a.yaml", contents: Array("openapi: 3.1.0\n".utf8))
        _ = try await fixture.connector.sync(target, files: [file], message: nil, as: fixture.owner)
        let record = try await fixture.connector.integration(named: "specs", as: fixture.owner)
        let mirror = fixture.home + "/mirrors/" + record.uid + ".git"
        #expect(FileManager.default.fileExists(atPath: mirror))

        let review = try await fixture.connector.reviewRemoval(named: "specs", as: fixture.owner)
        #expect(review.targets == [target])
        let removed = try await fixture.connector.removeIntegration(named: "specs", as: fixture.owner)
        #expect(removed.targets == [target])

        #expect(!FileManager.default.fileExists(atPath: mirror))
        #expect(try await fixture.connector.integrations(as: fixture.owner).isEmpty)
        let view = try await fixture.connector.target(target, as: fixture.owner)
        #expect(view.integration == nil)
        await #expect {
            _ = try await fixture.connector.sync(target, files: [file], message: nil, as: fixture.owner)
        } throws: { error in
            (error as? ConnectorError)?.kind == .notFound
        }
    }

    @Test("reviewer switches from GitHub to GitLab")
    func switchAcrossPlatforms() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        try await fixture.connector.addMember("rita", role: .reviewer, as: fixture.owner)
        try await fixture.connector.addMember("eddie", role: .editor, as: fixture.owner)

        let gitlabUser = Lab.uniqueName("gl")
        let project = Lab.uniqueName("group") + "/apis/" + Lab.uniqueName("specs")
        let gitlabToken = try await fixture.lab.addToken(platform: "gitlab", user: gitlabUser)
        try await fixture.lab.addRepo(platform: "gitlab", project, writers: [gitlabUser])
        let spec = IntegrationSpec(
            name: "specs-gitlab", platform: .gitlab, baseURL: fixture.lab.baseURL("gitlab"), repository: project,
            branch: "main", folder: "openapi")
        _ = try await fixture.connector.addIntegration(spec, token: AccessToken(secret: gitlabToken), as: fixture.owner)

        await #expect {
            _ = try await fixture.connector.switchTarget(target, to: "specs-gitlab", as: "eddie")
        } throws: { error in
            (error as? ConnectorError)?.kind == .permissionDenied
        }
        let view = try await fixture.connector.switchTarget(target, to: "specs-gitlab", as: "rita")
        #expect(view.integration?.name == "specs-gitlab")
        #expect(view.integration?.platform == "gitlab")

        let file = SyncFile(path: "moved.yaml", contents: Array("openapi: 3.1.0\n".utf8))
        let outcome = try await fixture.connector.sync(target, files: [file], message: nil, as: "eddie")
        #expect(outcome.repository == project)
        let path = try await fixture.lab.repositoryPath(platform: "gitlab", project)
        let bytes = try await onOwnThread { try Self.gitShow(gitDirectory: path, "main:openapi/moved.yaml") }
        #expect(bytes == file.contents)
    }

    @Test("every change appears in the audit log")
    func everyChangeAudited() async throws {
        let other = Lab.uniqueName("other")
        let fixture = try await LabFixture(extraWriters: [other])
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.git(["branch", "release", "main"])
        let connector = fixture.connector
        let owner = fixture.owner

        try await connector.addMember("ada", role: .viewer, as: owner)
        try await connector.setRole(of: "ada", to: .admin, as: owner)
        try await connector.addMember("temp", role: .editor, as: "ada")
        try await connector.removeMember("temp", as: "ada")

        let file = SyncFile(path: "audit.yaml", contents: Array("openapi: 3.1.0\n".utf8))
        _ = try await connector.sync(target, files: [file], message: nil, as: owner)

        let edit = try await connector.reviewEdit(named: "specs", changes: IntegrationChanges(branch: "release"), as: "ada")
        _ = try await connector.applyEdit(edit, as: "ada")

        let otherToken = try await fixture.lab.addToken(platform: "github", user: other)
        let reconnect = try await connector.reviewReconnect(named: "specs", token: otherToken, as: "ada")
        _ = try await connector.applyReconnect(reconnect, as: "ada")

        _ = try await connector.addIntegration(fixture.spec("spare"), token: AccessToken(secret: fixture.token), as: owner)
        _ = try await connector.switchTarget(target, to: "spare", as: owner)
        try await connector.removeIntegration(named: "specs", as: "ada")

        let entries = try await connector.auditEntries(limit: 100, as: owner)
        let actions = entries.reversed().map { "\($0.actor) \($0.action) \($0.subject)" }
        #expect(
            actions == [
                "\(owner) org.init \(owner)",
                "\(owner) integration.add specs",
                "\(owner) api.add \(target)",
                "\(owner) api.switch \(target)",
                "\(owner) member.add ada",
                "\(owner) member.set-role ada",
                "ada member.add temp",
                "ada member.remove temp",
                "\(owner) sync \(target)",
                "ada integration.edit specs",
                "ada integration.reconnect specs",
                "\(owner) integration.add spare",
                "\(owner) api.switch \(target)",
                "ada integration.remove specs",
            ]
        )

        let byAction = Dictionary(entries.map { ($0.action + " " + $0.subject, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byAction["member.set-role ada"]?.changes.map(\.text) == ["role: viewer -> admin"])
        #expect(byAction["integration.edit specs"]?.changes.map(\.text) == ["branch: main -> release"])
        #expect(byAction["api.switch \(target)"]?.changes.map(\.text) == ["integration: specs -> spare"])
        let reconnectChanges = byAction["integration.reconnect specs"]?.changes.map(\.field) ?? []
        #expect(reconnectChanges.contains("account"))
        #expect(reconnectChanges.contains("credential_version"))

        for secret in [fixture.token, otherToken] {
            for entry in entries {
                let values = Array((entry.before ?? [:]).values) + Array((entry.after ?? [:]).values)
                #expect(!values.contains { $0.contains(secret.revealed()) }, "entry \(entry.action) holds a token")
            }
        }
    }

    @Test("new token serves API calls and pushes")
    func reconnectedTokenUsedNext() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let fresh = try await fixture.lab.addToken(platform: "github", user: fixture.writer)
        let review = try await fixture.connector.reviewReconnect(named: "specs", token: fresh, as: fixture.owner)
        _ = try await fixture.connector.applyReconnect(review, as: fixture.owner)

        // With the old token revoked, only the new one can pass the API check and the Git push.
        try await fixture.lab.revoke(fixture.token)
        let (record, report) = try await fixture.connector.verifyIntegration(named: "specs", as: fixture.owner)
        #expect(report.status == .valid)
        #expect(record.state == .active)

        let file = SyncFile(path: "after-reconnect.yaml", contents: Array("openapi: 3.1.0\n".utf8))
        let outcome = try await fixture.connector.sync(target, files: [file], message: nil, as: fixture.owner)
        #expect(outcome.pushed)
        #expect(try await fixture.remoteFile("openapi/after-reconnect.yaml") == file.contents)
    }

    @Test("history lists every state change")
    func historyListsTransitions() async throws {
        let fixture = try await LabFixture()
        _ = try await fixture.addSyncedAPI()
        try await fixture.lab.expire(fixture.token)
        _ = try await fixture.connector.verifyIntegration(named: "specs", as: fixture.owner)
        let fresh = try await fixture.lab.addToken(platform: "github", user: fixture.writer)
        let review = try await fixture.connector.reviewReconnect(named: "specs", token: fresh, as: fixture.owner)
        _ = try await fixture.connector.applyReconnect(review, as: fixture.owner)

        let history = try await fixture.connector.stateHistory(named: "specs", as: fixture.owner)
        let steps = history.map { "\($0.from.rawValue)->\($0.to.rawValue)@\($0.credentialVersion)" }
        #expect(steps == ["unknown->active@1", "active->expired@1", "expired->unknown@2", "unknown->active@2"])
    }

    /// Returns the bytes of `object` in a bare repository, read with the git command line.
    static func gitShow(gitDirectory: String, _ object: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["--git-dir", gitDirectory, "cat-file", "blob", object]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](data)
    }
}
