import Foundation
import LabSupport
import Testing
import XapiCore

/// `integration health` through the built binary: its exit codes, `--json` lines and `--only-unhealthy`.
@Suite("xapi-git integration health")
struct HealthCommandTests {
    @Test("exit codes 0, 11 and 10")
    func exitCodes() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let writer = Lab.uniqueName("health-writer")
        let repository = Lab.uniqueName("health-org") + "/specs"
        try await lab.addRepo(platform: "github", repository, writers: [writer])
        let valid = try await lab.addToken(platform: "github", user: writer)
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)
        try await importIntegrations(runner, lab: lab, repository: repository, [("valid", valid)])

        let healthy = try await runner.execute(["integration", "health"])
        #expect(healthy.status == 0, "\(healthy.stderr)")
        #expect(healthy.stdout.contains("checked 1 integrations"))

        // A rate-limited token cannot be checked: unknown, so 11 while nothing needs attention.
        try await lab.run(["ratelimit", "set", "--platform", "github", "--reset-in", "300", "-"], stdin: valid.revealed())
        let limited: CommandRunner.Result
        do {
            limited = try await runner.execute(["integration", "health"])
        } catch {
            try await lab.run(["ratelimit", "clear", "-"], stdin: valid.revealed())
            throw error
        }
        try await lab.run(["ratelimit", "clear", "-"], stdin: valid.revealed())
        #expect(limited.status == 11, "\(limited.stderr)")
        #expect(limited.stdout.contains("rate limited until"))

        // An expired token needs attention, which decides the status over the rate-limited one.
        let expired = try await lab.addToken(platform: "github", user: writer)
        try await lab.expire(expired)
        try await importIntegrations(runner, lab: lab, repository: repository, [("expired", expired)])
        try await lab.run(["ratelimit", "set", "--platform", "github", "--reset-in", "300", "-"], stdin: valid.revealed())
        let mixed: CommandRunner.Result
        do {
            mixed = try await runner.execute(["integration", "health"])
        } catch {
            try await lab.run(["ratelimit", "clear", "-"], stdin: valid.revealed())
            throw error
        }
        try await lab.run(["ratelimit", "clear", "-"], stdin: valid.revealed())
        #expect(mixed.status == 10, "\(mixed.stderr)")
        #expect(mixed.stderr.isEmpty, "a finished check prints no error: \(mixed.stderr)")

        let unhealthy = try await runner.execute(["integration", "health"])
        #expect(unhealthy.status == 10, "\(unhealthy.stderr)")
    }

    @Test("--json lines parse back")
    func jsonLinesParse() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let writer = Lab.uniqueName("health-writer")
        let repository = Lab.uniqueName("health-org") + "/specs"
        try await lab.addRepo(platform: "github", repository, writers: [writer])
        let valid = try await lab.addToken(platform: "github", user: writer)
        let expired = try await lab.addToken(platform: "github", user: writer)
        try await lab.expire(expired)
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)
        try await importIntegrations(
            runner, lab: lab, repository: repository, [("a-valid", valid), ("b-expired", expired), ("c-valid", valid)])

        let result = try await runner.execute(["integration", "health", "--json"])
        #expect(result.status == 10, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let objects = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["name"] as? String } == ["a-valid", "b-expired", "c-valid"])
        #expect(objects.map { $0["state"] as? String } == ["active", "expired", "active"])
        #expect(objects.allSatisfy { $0["repository"] as? String == repository })
        #expect(objects.allSatisfy { $0["platform"] as? String == "github" })
        #expect(objects[0]["recorded"] as? Bool == true)
        #expect(objects[0]["account"] as? String == writer)
        #expect(result.stderr.contains("checked 3 integrations"))
        #expect(!result.stdout.contains(valid.revealed()))
        #expect(!result.stderr.contains(valid.revealed()))

        let onlyUnhealthy = try await runner.execute(["integration", "health", "--json", "--only-unhealthy"])
        #expect(onlyUnhealthy.status == 10)
        let unhealthyLines = onlyUnhealthy.stdout.split(separator: "\n")
        #expect(unhealthyLines.count == 1)
        #expect(unhealthyLines.first?.contains("\"name\":\"b-expired\"") == true)
    }

    /// Writes `integrations` to a JSON Lines file of mode 0600 and runs `integration import` on it.
    private func importIntegrations(
        _ runner: CommandRunner,
        lab: Lab,
        repository: String,
        _ integrations: [(name: String, token: Secret)]
    ) async throws {
        let lines = try integrations.map { item -> String in
            let object: [String: String] = [
                "name": item.name,
                "platform": "github",
                "base_url": lab.baseURL("github"),
                "repo": repository,
                "branch": "main",
                "token": item.token.revealed(),
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("import") + ".jsonl").path
        #expect(FileManager.default.createFile(
            atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8), attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let result = try await runner.execute(["integration", "import", "--file", path])
        #expect(result.status == 0, "integration import failed: \(result.stderr)")
    }
}
