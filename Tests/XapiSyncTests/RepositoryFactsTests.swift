import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

@Suite("Repository facts from the platform")
struct RepositoryFactsTests {
    @Test("renamed repository is stored and synced")
    func renamedRepositoryIsStored() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let owner = try #require(fixture.repository.split(separator: "/").first)
        let newName = "\(owner)/\(Lab.uniqueName("renamed"))"
        try await fixture.lab.run(["repo", "rename", "--platform", "github", fixture.repository, newName])

        let (record, report) = try await fixture.connector.verifyIntegration(named: "specs", as: fixture.owner)
        #expect(report.canonicalRepository == newName)
        #expect(record.repository == newName)

        let entries = try await fixture.connector.auditEntries(limit: 5, as: fixture.owner)
        #expect(entries.contains { $0.action == "integration.repository-moved" && $0.after?["repository"] == newName })

        let file = SyncFile(path: "moved.yaml", contents: Array("openapi: 3.0.3\ninfo: {title: M, version: '1'}\npaths: {}\n".utf8))
        let outcome = try await fixture.connector.sync(target, files: [file], message: nil, as: fixture.owner)
        #expect(outcome.repository == newName)
        let bare = try await fixture.lab.repositoryPath(platform: "github", newName)
        let stored = try await ChildProcess.run("/usr/bin/git", ["--git-dir", bare, "cat-file", "blob", "main:openapi/moved.yaml"])
        #expect([UInt8](stored.standardOutput) == file.contents)
    }

    @Test("GitLab project id stored on add")
    func gitLabProjectIDStored() async throws {
        let lab = try Lab.shared()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("xapi-home")).path
        let connector = try Connector(configuration: ConnectorConfiguration(home: home, network: NetworkSettings(caFile: lab.caFile)))
        try await connector.initializeOrganization(owner: "olivia")

        let user = Lab.uniqueName("dev")
        let project = "\(Lab.uniqueName("group"))/sub/\(Lab.uniqueName("api"))"
        let token = try await lab.addToken(platform: "gitlab", user: user)
        try await lab.addRepo(platform: "gitlab", project, writers: [user])

        let pasted = lab.baseURL("gitlab") + "/" + project + ".git/"
        let spec = IntegrationSpec(
            name: "gl", platform: .gitlab, baseURL: lab.baseURL("gitlab"), repository: pasted, branch: "main", folder: ""
        )
        let (record, report) = try await connector.addIntegration(spec, token: AccessToken(secret: token), as: "olivia")
        let projectID = try #require(report.platformProjectID)
        #expect(Int(projectID) != nil)
        #expect(record.platformProjectID == projectID)
        #expect(record.repository == project)
    }
}
