import Foundation
import LabSupport
import Testing
import XapiCore

/// Runs a whole session with each kind of lab token and searches everything the binary printed or wrote for
/// the tokens: the raw bytes and the Base64 of every `user:token` pair that Basic authentication would send.
@Suite struct LeakSweepTests {
    /// One platform and token kind, with the `--credential` options the binary needs for it.
    struct TokenCase: Sendable, CustomTestStringConvertible {
        let platform: String
        let labKind: String
        let credentialOptions: @Sendable (_ user: String, _ email: String) -> [String]
        let repository: @Sendable (_ user: String) -> String

        var testDescription: String { "\(platform) \(labKind)" }
    }

    static let cases = [
        TokenCase(platform: "github", labKind: "personal", credentialOptions: { _, _ in [] }) { "\($0)/specs" },
        TokenCase(platform: "gitlab", labKind: "personal", credentialOptions: { _, _ in [] }) { "\($0)/apis/specs" },
        TokenCase(
            platform: "bitbucket", labKind: "api-token",
            credentialOptions: { _, email in ["--credential", "api-token", "--email", email] }
        ) { "\($0)/specs" },
        TokenCase(
            platform: "bitbucket", labKind: "access-token",
            credentialOptions: { _, _ in ["--credential", "access-token"] }
        ) { "\($0)/specs" },
        TokenCase(
            platform: "bitbucket", labKind: "app-password",
            credentialOptions: { user, _ in ["--credential", "app-password", "--username", user] }
        ) { "\($0)/specs" },
        TokenCase(
            platform: "bitbucket-dc", labKind: "personal",
            credentialOptions: { _, _ in ["--credential", "personal"] }
        ) { dataCenterProject($0) + "/specs" },
        TokenCase(
            platform: "bitbucket-dc", labKind: "repository-token",
            credentialOptions: { _, _ in ["--credential", "repository-token"] }
        ) { dataCenterProject($0) + "/specs" },
    ]

    /// Returns a Data Center project key made from a login: upper case, with `_` for `-`, which keys may not contain.
    static func dataCenterProject(_ user: String) -> String {
        user.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// What one command printed, named by its arguments.
    struct Transcript {
        let command: String
        let result: CommandRunner.Result
    }

    @Test(arguments: cases)
    func noTokenInOutputOrFiles(tokenCase: TokenCase) async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let user = Lab.uniqueName("leak")
        let email = user + "@example.com"
        let repository = tokenCase.repository(user)
        try await lab.addRepo(platform: tokenCase.platform, repository, writers: [user])
        let firstToken = try await addToken(lab, tokenCase, user: user, email: email)
        let secondToken = try await addToken(lab, tokenCase, user: user, email: email)
        let spec = URL(fileURLWithPath: runner.home + "-spec.yaml")
        defer { try? FileManager.default.removeItem(at: spec) }
        let credential = tokenCase.credentialOptions(user, email)
        var transcripts: [Transcript] = []

        func run(_ arguments: [String], stdin: String? = nil, expectSuccess: Bool = true) async throws {
            let result = try await runner.execute(arguments, stdin: stdin)
            transcripts.append(Transcript(command: arguments.joined(separator: " "), result: result))
            if expectSuccess {
                #expect(result.status == 0, "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
            }
        }

        func sync(_ title: String, expectSuccess: Bool = true) async throws {
            try Data("openapi: 3.0.3\ninfo: {title: \(title), version: '1'}\npaths: {}\n".utf8).write(to: spec)
            try await run(["sync", "shop/orders@v1", "--file", spec.path, "--verbose"], expectSuccess: expectSuccess)
        }

        // The session: set up, verify, sync, fail with an expired token, reconnect and sync again.
        try await run(["org", "init", "--owner", "olivia"])
        try await run(
            [
                "integration", "add", "docs", "--platform", tokenCase.platform, "--base-url",
                lab.baseURL(tokenCase.platform), "--repo", repository, "--branch", "main", "--folder", "apis",
                "--token-stdin", "--verbose",
            ] + credential,
            stdin: firstToken.revealed() + "\n"
        )
        try await run(["integration", "verify", "docs", "--verbose"])
        try await run(["api", "add", "shop/orders@v1"])
        try await run(["api", "switch", "shop/orders@v1", "--integration", "docs", "--verbose"])
        try await sync("First")

        try await lab.expire(firstToken)
        try await sync("Refused", expectSuccess: false)
        #expect(transcripts.last?.result.status != 0, "a sync with an expired token succeeded")

        try await run(
            ["integration", "reconnect", "docs", "--token-stdin", "--yes", "--verbose"] + credential,
            stdin: secondToken.revealed() + "\n"
        )
        try await sync("Second")
        try await run(["audit", "--json"])
        try await run(["integration", "list", "--json"])
        try await run(["integration", "show", "docs", "--history", "--json"])
        try await run(["integration", "health", "--json", "--verbose"])

        // The sweep: every output and every file under the home, against every form of both tokens.
        let needles = [firstToken, secondToken].flatMap { Self.needles(for: $0, user: user, email: email) }
        var haystacks: [(name: String, bytes: Data)] = []
        for transcript in transcripts {
            haystacks.append(("stdout of \(transcript.command)", Data(transcript.result.stdout.utf8)))
            haystacks.append(("stderr of \(transcript.command)", Data(transcript.result.stderr.utf8)))
        }
        let files = try Self.files(under: runner.home)
        #expect(files.count > 3, "the home has too few files to sweep: \(files)")
        for file in files {
            haystacks.append((file, try Data(contentsOf: URL(fileURLWithPath: file))))
        }
        let verboseOutput = transcripts.map(\.result.stderr).joined()
        #expect(verboseOutput.contains("debug") || verboseOutput.contains("DEBUG"), "--verbose wrote no debug log")

        for haystack in haystacks {
            for needle in needles where haystack.bytes.range(of: needle.bytes) != nil {
                Issue.record("\(haystack.name) contains \(needle.form)")
            }
        }
    }

    private func addToken(_ lab: Lab, _ tokenCase: TokenCase, user: String, email: String) async throws -> Secret {
        try await lab.addToken(
            platform: tokenCase.platform, user: user, extra: ["--kind", tokenCase.labKind, "--email", email])
    }

    /// The forms in which a token could leak, each named without the token itself.
    static func needles(for token: Secret, user: String, email: String) -> [(form: String, bytes: Data)] {
        let usernames = ["x-access-token", "oauth2", "x-bitbucket-api-token-auth", "x-token-auth", email, user]
        var needles = [(form: "the raw token", bytes: Data(token.revealed().utf8))]
        for username in usernames {
            let encoded = Data("\(username):\(token.revealed())".utf8).base64EncodedString()
            needles.append((form: "Base64 of \(username):TOKEN", bytes: Data(encoded.utf8)))
        }
        return needles
    }

    /// Returns every regular file under `directory`, hidden ones and Git internals included.
    static func files(under directory: String) throws -> [String] {
        let root = URL(fileURLWithPath: directory)
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        var files: [String] = []
        for case let url as URL in enumerator {
            if try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
                files.append(url.path)
            }
        }
        return files
    }
}
