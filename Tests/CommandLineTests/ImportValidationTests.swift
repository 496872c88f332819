import Foundation
import LabSupport
import Testing
import XapiCore

/// `integration import` checks each line like `integration add` does, and `integration health` checks the
/// other integrations when one of them has stored settings that cannot be used.
@Suite("xapi-git integration import and health with bad settings")
struct ImportValidationTests {
    @Test("import with bad line stores nothing")
    func badLineRejectsWholeFile() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let writer = Lab.uniqueName("import-writer")
        let repository = Lab.uniqueName("import-org") + "/specs"
        let token = try await lab.addToken(platform: "github", user: writer)
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)

        let lines = [
            Self.line(name: "good", baseURL: lab.baseURL("github"), repository: repository, token: token),
            Self.line(name: "plain-http", baseURL: "http://example.invalid", repository: repository, token: token),
        ]
        let result = try await Self.importLines(runner, lines)

        #expect(result.status != 0)
        #expect(result.stderr.contains("line 2"), "\(result.stderr)")
        #expect(result.stderr.contains("plain-http"), "\(result.stderr)")
        #expect(result.stderr.contains("http://example.invalid"), "\(result.stderr)")
        let health = try await runner.execute(["integration", "health"])
        #expect(health.status == 0, "\(health.stderr)")
        #expect(health.stdout.contains("checked 0 integrations"), "\(health.stdout)")
    }

    @Test("import with bad repository names line")
    func badRepositoryNamesLine() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let token = try await lab.addToken(platform: "github", user: Lab.uniqueName("import-writer"))
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)

        let lines = [Self.line(name: "no-owner", baseURL: lab.baseURL("github"), repository: "specs", token: token)]
        let result = try await Self.importLines(runner, lines)

        #expect(result.status != 0)
        #expect(result.stderr.contains("line 1"), "\(result.stderr)")
        #expect(try await runner.execute(["integration", "health"]).stdout.contains("checked 0 integrations"))
    }

    @Test("health checks others past unusable base URL")
    func healthSurvivesUnusableBaseURL() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let writer = Lab.uniqueName("health-writer")
        let repository = Lab.uniqueName("health-org") + "/specs"
        try await lab.addRepo(platform: "github", repository, writers: [writer])
        let token = try await lab.addToken(platform: "github", user: writer, scopes: ["repo", "workflow"])
        #expect(try await runner.execute(["org", "init", "--owner", "olivia"]).status == 0)
        let lines = ["a-valid", "b-broken", "c-valid"].map { name in
            Self.line(name: name, baseURL: lab.baseURL("github"), repository: repository, token: token)
        }
        let imported = try await Self.importLines(runner, lines)
        #expect(imported.status == 0, "\(imported.stderr)")
        let store = try #require(try CertificateCommandTests.storeFile(in: runner.home))
        try await Self.sqlite(store, "UPDATE integrations SET base_url = 'http://example.invalid' WHERE name = 'b-broken';")

        let result = try await runner.execute(["integration", "health", "--json"])

        #expect(result.status == 10, "\(result.stderr)")
        let objects = try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["name"] as? String } == ["a-valid", "b-broken", "c-valid"])
        #expect(objects.map { $0["state"] as? String } == ["active", "needs-attention", "active"])
        let detail = try #require(objects.dropFirst().first?["detail"] as? String)
        #expect(detail.contains("http://example.invalid"), "\(detail)")

        // The successful checks store the token's facts, which the import could not know.
        let facts = try await Self.sqlite(
            store, "SELECT name, account, scopes, state FROM integrations ORDER BY name;")
        let rows = facts.split(separator: "\n").map(String.init)
        #expect(rows.count == 3)
        #expect(rows.first?.hasPrefix("a-valid|\(writer)|") == true, "\(facts)")
        #expect(rows.first?.contains("repo") == true, "\(facts)")
        #expect(rows.dropFirst().first == "b-broken||[]|needs-attention", "\(facts)")
        #expect(rows.last?.hasPrefix("c-valid|\(writer)|") == true, "\(facts)")
    }

    /// Returns one line of an import file for a GitHub integration on branch `main`.
    static func line(name: String, baseURL: String, repository: String, token: Secret) -> String {
        let object: [String: String] = [
            "name": name,
            "platform": "github",
            "base_url": baseURL,
            "repo": repository,
            "branch": "main",
            "token": token.revealed(),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `lines` to a JSON Lines file of mode 0600 and runs `integration import` on it.
    static func importLines(_ runner: CommandRunner, _ lines: [String]) async throws -> CommandRunner.Result {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("import") + ".jsonl")
            .path
        #expect(FileManager.default.createFile(
            atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8),
            attributes: [.posixPermissions: 0o600]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await runner.execute(["integration", "import", "--file", path])
    }

    /// Runs one statement with the sqlite3 command line and returns its output.
    @discardableResult
    static func sqlite(_ store: String, _ statement: String) async throws -> String {
        let result = try await ChildProcess.run("/usr/bin/sqlite3", [store, statement])
        #expect(result.status == 0, "sqlite3 failed: \(result.errorText)")
        return result.outputText
    }
}
