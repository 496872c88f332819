import Foundation
import LabSupport
import Testing
import XapiCore

/// Behaviour a new user meets first: option order, input mistakes, JSON output, ownership, the key file.
@Suite("Command line usability")
struct UsabilityTests {
    @Test("global options before the command")
    func globalOptionsBeforeCommand() async throws {
        let runner = CommandRunner(lab: try Lab.shared(), actor: "olivia")
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)

        let listed = try await runner.execute(["--json", "--as", "olivia", "member", "list"])
        #expect(listed.status == 0)
        let members = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        #expect(members?.first?["login"] as? String == "olivia")

        let group = try await runner.execute(["integration", "--help"])
        #expect(group.status == 0)
        #expect(group.stdout.contains("integration add"))
    }

    @Test("token with a line break is rejected")
    func tokenWithLineBreakRejected() async throws {
        let runner = CommandRunner(lab: try Lab.shared(), actor: "olivia")
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)

        let result = try await runner.execute(
            ["integration", "add", "x", "--platform", "github", "--repo", "a/b", "--branch", "main", "--token-stdin"],
            stdin: "first-token\nsecond-token\n"
        )
        #expect(result.status == 64)
        #expect(result.stderr.contains("line break"))
        #expect(!result.stderr.contains("first-token"))
    }

    @Test("admin cannot grant the owner role")
    func adminCannotGrantOwner() async throws {
        let runner = CommandRunner(lab: try Lab.shared(), actor: "olivia")
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)
        #expect(try await runner.execute(["member", "add", "dan", "--role", "admin"]).status == 0)

        #expect(try await runner.execute(["member", "set-role", "dan", "owner", "--as", "dan"]).status == 4)
        #expect(try await runner.execute(["member", "add", "eve", "--role", "owner", "--as", "dan"]).status == 4)
        #expect(try await runner.execute(["member", "remove", "olivia", "--as", "dan"]).status == 4)
        #expect(try await runner.execute(["member", "add", "eve", "--role", "reviewer", "--as", "dan"]).status == 0)
        #expect(try await runner.execute(["member", "set-role", "olivia", "viewer"]).status == 64)
    }

    @Test("missing key file is not replaced")
    func missingKeyFileNotReplaced() async throws {
        let runner = CommandRunner(lab: try Lab.shared(), actor: "olivia")
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)
        let keyFile = runner.home + "/sealing.key"
        try FileManager.default.removeItem(atPath: keyFile)

        let result = try await runner.execute(["member", "list"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("sealing key file"))
        #expect(!FileManager.default.fileExists(atPath: keyFile))
    }

    @Test("empty repository through --create-branch")
    func emptyRepositoryFirstSync() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let writer = Lab.uniqueName("writer")
        let repository = "\(writer)/empty"
        let token = try await lab.addToken(platform: "github", user: writer)
        try await lab.addRepo(platform: "github", repository, extra: ["--empty"])
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("spec") + ".yaml")
        try Data("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\n".utf8).write(to: spec)

        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)
        let add = ["integration", "add", "docs", "--platform", "github", "--base-url", lab.baseURL("github"),
                   "--repo", repository, "--branch", "main", "--token-stdin"]
        let refused = try await runner.execute(add, stdin: token.revealed())
        #expect(refused.status == 6)
        #expect(try await runner.execute(add + ["--create-branch"], stdin: token.revealed()).status == 0)
        #expect(try await runner.execute(["api", "add", "shop/orders@v1"]).status == 0)

        // The branch does not exist yet: the switch accepts a token that may push, and the first sync of an
        // empty repository creates the branch.
        #expect(try await runner.execute(["api", "switch", "shop/orders@v1", "--integration", "docs"]).status == 0)
        let synced = try await runner.execute(["sync", "shop/orders@v1", "--file", spec.path])
        #expect(synced.status == 0, "\(synced.stderr)")
        let bare = try await lab.repositoryPath(platform: "github", repository)
        let stored = try await ChildProcess.run("/usr/bin/git", ["--git-dir", bare, "cat-file", "blob", "main:" + spec.lastPathComponent])
        #expect(stored.standardOutput == (try Data(contentsOf: spec)))
    }

    @Test("new home is not filled by reads")
    func newHomeNotFilledByReads() async throws {
        let runner = CommandRunner(lab: try Lab.shared(), actor: "olivia")

        let listed = try await runner.execute(["member", "list"])
        #expect(listed.status == 2)
        #expect(listed.stderr.contains("org init"))
        #expect(!FileManager.default.fileExists(atPath: runner.home + "/store.db"))
        #expect(!FileManager.default.fileExists(atPath: runner.home + "/sealing.key"))
    }

    @Test("api show prints JSON")
    func apiShowPrintsJSON() async throws {
        let runner = CommandRunner(lab: try Lab.shared(), actor: "olivia")
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)
        #expect(try await runner.execute(["api", "add", "shop/orders@v1"]).status == 0)

        let shown = try await runner.execute(["api", "show", "shop/orders@v1", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect(object?["name"] as? String == "shop/orders@v1")
        #expect(object?["kind"] as? String == "api")
    }
}
