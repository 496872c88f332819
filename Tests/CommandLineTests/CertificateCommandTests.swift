import Foundation
import LabSupport
import Testing
import XapiCore

/// The binary rejects lab listeners whose certificates chain to the trusted lab CA but expired or name
/// another host, for API calls and for Git pushes alike.
@Suite struct CertificateCommandTests {
    /// One of the lab's listeners with an unusable certificate and the words its error must contain.
    struct Listener: Sendable, CustomTestStringConvertible {
        let name: String
        let expectedText: String
        let url: @Sendable (Lab) -> String?

        var testDescription: String { name }
    }

    static let listeners = [
        Listener(name: "expired", expectedText: "has expired", url: { $0.expiredURL }),
        Listener(name: "wrong host", expectedText: "does not name that host", url: { $0.wrongHostURL }),
    ]

    @Test(arguments: listeners)
    func integrationAddRejectsCertificate(listener: Listener) async throws {
        let lab = try Lab.shared()
        let listenerURL = try #require(listener.url(lab), "the lab has no \(listener.name) listener: restart it")
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let writer = Lab.uniqueName("cert-writer")
        let repository = Lab.uniqueName("cert-org") + "/specs"
        let token = try await lab.addToken(platform: "github", user: writer)
        try await lab.addRepo(platform: "github", repository, writers: [writer])
        SecurityCommandTests.expectSuccess(try await runner.execute(["org", "init", "--owner", "olivia"]))

        let add = try await runner.execute(
            [
                "integration", "add", "docs", "--platform", "github", "--base-url", listenerURL + "/github",
                "--repo", repository, "--branch", "main", "--token-stdin",
            ],
            stdin: token.revealed() + "\n"
        )

        #expect(add.status != 0)
        #expect(add.stderr.contains("localhost"), "the error does not name the host: \(add.stderr)")
        #expect(add.stderr.contains(listener.expectedText), "\(add.stderr)")
        #expect(!add.stderr.contains(token.revealed()))
        #expect(!add.stdout.contains(token.revealed()))
        let list = try await runner.execute(["integration", "list", "--json"])
        #expect(!list.stdout.contains("docs"), "a rejected integration was stored: \(list.stdout)")
    }

    @Test(arguments: listeners)
    func syncRejectsCertificate(listener: Listener) async throws {
        let setup = try await SecurityCommandTests.Setup()
        let listenerURL = try #require(listener.url(setup.lab), "the lab has no \(listener.name) listener: restart it")
        let tipBefore = try await branchTip(setup)
        // The integration was verified against the lab's valid certificate. Its stored base URL now names the
        // listener, as after a server moved to a bad certificate; `integration edit` would reject the change.
        try await setBaseURL(listenerURL + "/github", home: setup.runner.home)

        let sync = try await setup.sync(content: "openapi: 3.0.3\ninfo: {title: Cert, version: '1'}\npaths: {}\n")

        #expect(sync.status != 0)
        #expect(sync.stderr.contains("localhost"), "the error does not name the host: \(sync.stderr)")
        #expect(sync.stderr.contains(listener.expectedText), "\(sync.stderr)")
        #expect(!sync.stderr.contains(setup.token.revealed()))
        #expect(try await branchTip(setup) == tipBefore)
    }

    /// Returns the commit that `main` points at in the setup's lab repository.
    private func branchTip(_ setup: SecurityCommandTests.Setup) async throws -> String {
        let list = try await setup.runner.execute(["integration", "show", "docs", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        let repository = try #require(object["repository"] as? String)
        let directory = try await setup.lab.repositoryPath(platform: "github", repository)
        let git = try await ChildProcess.run("/usr/bin/git", ["--git-dir", directory, "rev-parse", "refs/heads/main"])
        return git.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Changes the stored base URL of the integration `docs` with the sqlite3 command line, bypassing the live
    /// check that `integration edit` makes.
    private func setBaseURL(_ baseURL: String, home: String) async throws {
        let store = try #require(try Self.storeFile(in: home), "no SQLite store under \(home)")
        let statement = "UPDATE integrations SET base_url = '\(baseURL)' WHERE name = 'docs';"
        let result = try await ChildProcess.run("/usr/bin/sqlite3", [store, statement])
        #expect(result.status == 0, "sqlite3 failed: \(result.errorText)")
    }

    /// Returns the file under `home` that starts with the SQLite header.
    static func storeFile(in home: String) throws -> String? {
        let header = Data("SQLite format 3\0".utf8)
        for name in try FileManager.default.contentsOfDirectory(atPath: home) {
            let path = home + "/" + name
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            if (try? handle.read(upToCount: header.count)) == header {
                return path
            }
        }
        return nil
    }
}
