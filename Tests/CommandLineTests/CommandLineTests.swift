import Foundation
import LabSupport
import Testing
import XapiCore

@Suite("xapi-git command line")
struct CommandLineTests {
    @Test("token argument is refused without echo")
    func tokenArgumentRefused() async throws {
        let runner = CommandRunner(lab: try Lab.shared(), actor: "olivia")
        let result = try await runner.execute([
            "integration", "add", "x", "--platform", "github", "--repo", "a/b", "--branch", "main",
            "--token", "ghp_secretvalue123",
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--token-stdin"))
        #expect(!result.stderr.contains("ghp_secretvalue123"))
        #expect(!result.stdout.contains("ghp_secretvalue123"))
    }

    @Test("exit codes of common failures")
    func exitCodes() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")

        #expect(try await runner.execute(["integration", "list"]).status == 2)
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 9)
        #expect(try await runner.execute(["integration", "show", "missing"]).status == 6)
        #expect(try await runner.execute(["integration", "list", "--as", "mallory"]).status == 4)
        #expect(try await runner.execute(["no-such-command"]).status == 64)
        #expect(try await runner.execute(["api", "add", "not-a-version"]).status == 64)
        #expect(try await runner.execute(["member", "add", "vic", "--role", "viewer"]).status == 0)
        #expect(try await runner.execute(["api", "add", "p/a@v1", "--as", "vic"]).status == 4)
    }

    @Test("whole flow leaks no token")
    func wholeFlowLeaksNoToken() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let writer = Lab.uniqueName("cli-writer")
        let repository = Lab.uniqueName("cli-org") + "/specs"
        let token = try await lab.addToken(platform: "github", user: writer)
        try await lab.addRepo(platform: "github", repository, writers: [writer])
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("spec") + ".yaml")
        try Data("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\n".utf8).write(to: spec)

        var results: [CommandRunner.Result] = []
        func step(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:], expect status: Int32) async throws {
            let result = try await runner.execute(arguments, stdin: stdin, extraEnvironment: env)
            results.append(result)
            #expect(result.status == status, "\(arguments.prefix(2)) exited \(result.status): \(result.stderr)")
        }

        try await step(["org", "init", "--owner", "olivia"], expect: 0)
        try await step(
            ["integration", "add", "docs", "--platform", "github", "--base-url", lab.baseURL("github"), "--repo", repository,
             "--branch", "main", "--folder", "apis", "--token-stdin"],
            stdin: token.revealed() + "\n",
            expect: 0
        )
        try await step(["integration", "verify", "docs", "--json"], expect: 0)
        try await step(["api", "add", "shop/orders@v1"], expect: 0)
        try await step(["api", "switch", "shop/orders@v1", "--integration", "docs"], expect: 0)
        try await step(["sync", "shop/orders@v1", "--file", spec.path], expect: 0)
        try await step(["sync", "shop/orders@v1", "--file", spec.path, "--json"], expect: 0)
        let unchanged = try JSONSerialization.jsonObject(with: Data((results.last?.stdout ?? "").utf8)) as? [String: Any]
        #expect(unchanged?["pushed"] as? Bool == false)

        let fresh = try await lab.addToken(platform: "github", user: writer)
        try await step(["integration", "reconnect", "docs", "--token-env", "NEW_TOKEN"], env: ["NEW_TOKEN": fresh.revealed()], expect: 7)
        try await step(["integration", "reconnect", "docs", "--token-env", "NEW_TOKEN", "--yes"], env: ["NEW_TOKEN": fresh.revealed()], expect: 0)
        try await step(["integration", "reconnect", "docs", "--token-stdin", "--yes"], stdin: "wrong-token", expect: 5)
        try await step(["audit", "--json"], expect: 0)
        try await step(["integration", "list", "--json"], expect: 0)

        let listing = try #require(results.last?.stdout)
        let parsed = try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["name"] as? String == "docs")
        #expect(parsed?.first?["credential_version"] as? Int == 2)

        let secrets = [token.revealed(), fresh.revealed()]
        for result in results {
            for secret in secrets {
                #expect(!result.stdout.contains(secret))
                #expect(!result.stderr.contains(secret))
            }
        }
        for file in try filesBelow(runner.home) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "token found in \(file)")
            }
        }
    }

    func filesBelow(_ directory: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { $0 as? String }.map { directory + "/" + $0 }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
