import Foundation
import LabSupport
import Testing
import XapiCore

/// Key rotation, key file modes, trust, proxies and refused URLs, checked through the built binary.
@Suite struct SecurityCommandTests {
    /// A home with an organization owned by `olivia` and a GitHub integration `docs` to a fresh repository,
    /// plus an API version switched to it, so `sync` pushes through Git.
    struct Setup {
        let lab: Lab
        let runner: CommandRunner
        let token: Secret
        let spec: URL

        var keyFile: String { runner.home + "/sealing.key" }
        var labHost: String { String(lab.url.dropFirst("https://".count)) }

        init() async throws {
            lab = try Lab.shared()
            runner = CommandRunner(lab: lab, actor: "olivia")
            let writer = Lab.uniqueName("sec-writer")
            let repository = Lab.uniqueName("sec-org") + "/specs"
            token = try await lab.addToken(platform: "github", user: writer)
            try await lab.addRepo(platform: "github", repository, writers: [writer])
            spec = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("spec") + ".yaml")
            try Data("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\n".utf8).write(to: spec)

            try expectSuccess(await runner.execute(["org", "init", "--owner", "olivia"]))
            try expectSuccess(await runner.execute(addArguments(repository), stdin: token.revealed() + "\n"))
            try expectSuccess(await runner.execute(["api", "add", "shop/orders@v1"]))
            try expectSuccess(await runner.execute(["api", "switch", "shop/orders@v1", "--integration", "docs"]))
        }

        func addArguments(_ repository: String, name: String = "docs", baseURL: String? = nil) -> [String] {
            [
                "integration", "add", name, "--platform", "github", "--base-url", baseURL ?? lab.baseURL("github"),
                "--repo", repository, "--branch", "main", "--folder", "apis", "--token-stdin",
            ]
        }

        func sync(content: String, extraEnvironment: [String: String] = [:]) async throws -> CommandRunner.Result {
            try Data(content.utf8).write(to: spec)
            return try await runner.execute(["sync", "shop/orders@v1", "--file", spec.path], extraEnvironment: extraEnvironment)
        }
    }

    static func expectSuccess(_ result: CommandRunner.Result, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 0, "exited \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
    }

    /// Runs the binary with exactly `environment`, for tests that must remove a variable `CommandRunner` sets.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> CommandRunner.Result {
        let child = try await ChildProcess.run(CommandRunner.binary, arguments, input: Data(), environment: environment)
        return CommandRunner.Result(status: child.status, stdout: child.outputText, stderr: child.errorText)
    }

    static func fileMode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    // MARK: - Key file and rotation

    @Test func keyFileIsCreatedWithMode0600() async throws {
        let setup = try await Setup()

        #expect(try Self.fileMode(setup.keyFile) == 0o600)
    }

    @Test func rotationReplacesKeyFile() async throws {
        let setup = try await Setup()
        let oldKey = try String(contentsOfFile: setup.keyFile, encoding: .utf8).trimmingCharacters(in: .newlines)

        let rotation = try await setup.runner.execute(["key", "rotate", "--json"])

        Self.expectSuccess(rotation)
        let newKey = try String(contentsOfFile: setup.keyFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(newKey != oldKey)
        #expect(try Self.fileMode(setup.keyFile) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: setup.keyFile + ".new"))
        #expect(!rotation.stdout.contains(newKey))
        #expect(!rotation.stdout.contains(oldKey))
        let object = try JSONSerialization.jsonObject(with: Data(rotation.stdout.utf8)) as? [String: Any]
        #expect(object?["integrations"] as? Int == 1)

        // The token opens with the new key: verify reaches the lab with it.
        Self.expectSuccess(try await setup.runner.execute(["integration", "verify", "docs"]))

        // The old key no longer opens the store's tokens.
        let withOldKey = try await setup.runner.execute(["integration", "verify", "docs"], extraEnvironment: ["XAPI_GIT_KEY": oldKey])
        #expect(withOldKey.status != 0)
    }

    @Test func rotationWithEnvironmentKeyPrintsNewKey() async throws {
        let lab = try Lab.shared()
        let runner = CommandRunner(lab: lab, actor: "olivia")
        let writer = Lab.uniqueName("sec-env")
        let repository = Lab.uniqueName("sec-org") + "/specs"
        let token = try await lab.addToken(platform: "github", user: writer)
        try await lab.addRepo(platform: "github", repository, writers: [writer])
        let oldKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let environment = ["XAPI_GIT_KEY": oldKey]

        Self.expectSuccess(try await runner.execute(["org", "init", "--owner", "olivia"], extraEnvironment: environment))
        let add = [
            "integration", "add", "docs", "--platform", "github", "--base-url", lab.baseURL("github"), "--repo",
            repository, "--branch", "main", "--folder", "apis", "--token-stdin",
        ]
        Self.expectSuccess(try await runner.execute(add, stdin: token.revealed(), extraEnvironment: environment))

        let rotation = try await runner.execute(["key", "rotate"], extraEnvironment: environment)

        Self.expectSuccess(rotation)
        #expect(rotation.stdout.contains("only time the new key is shown"))
        let newKey = try #require(rotation.stdout.split(separator: "\n").last.map(String.init))
        #expect(Data(base64Encoded: newKey)?.count == 32)
        #expect(!FileManager.default.fileExists(atPath: runner.home + "/sealing.key"))
        Self.expectSuccess(try await runner.execute(["integration", "verify", "docs"], extraEnvironment: ["XAPI_GIT_KEY": newKey]))
        #expect(try await runner.execute(["integration", "verify", "docs"], extraEnvironment: environment).status != 0)
    }

    @Test func rotationNeedsOwner() async throws {
        let setup = try await Setup()
        Self.expectSuccess(try await setup.runner.execute(["member", "add", "ed", "--role", "admin"]))
        let keyBefore = try String(contentsOfFile: setup.keyFile, encoding: .utf8)

        let rotation = try await setup.runner.execute(["key", "rotate", "--as", "ed"])

        #expect(rotation.status == 4)
        #expect(rotation.stderr.contains("only an owner"))
        #expect(try String(contentsOfFile: setup.keyFile, encoding: .utf8) == keyBefore)
    }

    @Test func readableKeyFileIsRefused() async throws {
        let setup = try await Setup()
        #expect(chmod(setup.keyFile, 0o644) == 0)

        let result = try await setup.runner.execute(["integration", "list"])

        #expect(result.status != 0)
        #expect(result.stderr.contains("chmod 600 \(setup.keyFile)"))
    }

    // MARK: - TLS

    @Test func helpOffersNoVerificationSwitch() async throws {
        let runner = CommandRunner(lab: try Lab.shared())

        let help = try await runner.execute(["--help"])

        for word in ["insecure", "no-verify", "skip-verify", "verify-ssl", "verify-tls"] {
            #expect(!help.stdout.lowercased().contains(word), "help mentions \(word)")
        }
        for option in ["--insecure", "--no-verify", "--tls-no-verify"] {
            let result = try await runner.execute(["integration", "list", option])
            #expect(result.status == 64)
            #expect(result.stderr.contains("unknown option \(option)"))
        }
    }

    @Test func missingCAFailsForAPIAndGit() async throws {
        let setup = try await Setup()
        // Variables that turn verification off or name a CA for other tools must change nothing.
        var environment = setup.runner.environment
        environment.removeValue(forKey: "XAPI_GIT_CA_FILE")
        environment.merge([
            "GIT_SSL_NO_VERIFY": "1", "CURL_CA_BUNDLE": setup.lab.caFile, "SSL_CERT_FILE": setup.lab.caFile,
            "GIT_SSL_CAINFO": setup.lab.caFile,
        ]) { $1 }
        try Data("openapi: 3.0.3\ninfo: {title: NoCA, version: '1'}\npaths: {}\n".utf8).write(to: setup.spec)

        let api = try await Self.run(["integration", "verify", "docs"], environment: environment)
        let git = try await Self.run(["sync", "shop/orders@v1", "--file", setup.spec.path], environment: environment)

        for (name, result) in [("API", api), ("Git", git)] {
            #expect(result.status != 0, "\(name) call succeeded without the lab CA")
            #expect(result.stderr.contains("localhost"), "\(name) error does not name the host: \(result.stderr)")
            #expect(result.stderr.lowercased().contains("certificate"), "\(name) error: \(result.stderr)")
        }
    }

    @Test func caFileWorksForAPIAndGit() async throws {
        let setup = try await Setup()

        Self.expectSuccess(try await setup.runner.execute(["integration", "verify", "docs"]))
        await Self.expectSuccess(try setup.sync(content: "openapi: 3.0.3\ninfo: {title: CA, version: '1'}\npaths: {}\n"))
    }

    // MARK: - Proxies

    @Test func proxyCarriesAPIAndGit() async throws {
        let setup = try await Setup()
        let proxy = try LabProxy(lab: setup.lab)
        defer { proxy.stop() }
        let environment = ["https_proxy": proxy.url]

        Self.expectSuccess(try await setup.runner.execute(["integration", "verify", "docs"], extraEnvironment: environment))
        let afterAPI = proxy.connectTargets
        // `sync` makes no API call, so its tunnels are the Git transfer's.
        await Self.expectSuccess(try setup.sync(content: "openapi: 3.0.3\ninfo: {title: P, version: '1'}\npaths: {}\n",
                                          extraEnvironment: environment))
        let afterGit = proxy.connectTargets

        #expect(!afterAPI.isEmpty)
        #expect(afterAPI.allSatisfy { $0 == setup.labHost })
        #expect(afterGit.count > afterAPI.count)
        #expect(afterGit.allSatisfy { $0 == setup.labHost })
    }

    @Test func upperCaseProxyVariableIsRead() async throws {
        let setup = try await Setup()
        let proxy = try LabProxy(lab: setup.lab)
        defer { proxy.stop() }

        await Self.expectSuccess(try setup.sync(content: "openapi: 3.0.3\ninfo: {title: U, version: '1'}\npaths: {}\n",
                                          extraEnvironment: ["HTTPS_PROXY": proxy.url]))

        #expect(proxy.connectTargets.contains(setup.labHost))
    }

    @Test func noProxyHostsGoDirect() async throws {
        let setup = try await Setup()
        let proxy = try LabProxy(lab: setup.lab)
        defer { proxy.stop() }
        let environment = ["https_proxy": proxy.url, "no_proxy": "localhost"]

        Self.expectSuccess(try await setup.runner.execute(["integration", "verify", "docs"], extraEnvironment: environment))
        await Self.expectSuccess(try setup.sync(content: "openapi: 3.0.3\ninfo: {title: N, version: '1'}\npaths: {}\n",
                                          extraEnvironment: environment))

        #expect(proxy.connectTargets.isEmpty)
    }

    @Test func proxy407FailsAPIAndGit() async throws {
        let setup = try await Setup()
        let proxy = try LabProxy(lab: setup.lab, requireAuthentication: true)
        defer { proxy.stop() }
        let proxyPassword = "proxy-secret-" + Lab.uniqueName("pw")
        let proxyURL = proxy.url.replacingOccurrences(of: "http://", with: "http://user:\(proxyPassword)@")
        let environment = ["https_proxy": proxyURL]

        let api = try await setup.runner.execute(["integration", "verify", "docs", "--verbose"], extraEnvironment: environment)
        let git = try await setup.sync(content: "openapi: 3.0.3\ninfo: {title: A, version: '1'}\npaths: {}\n",
                                 extraEnvironment: environment)

        for (name, result) in [("API", api), ("Git", git)] {
            #expect(result.status != 0, "\(name) call succeeded through a proxy that answers 407")
            #expect(result.stderr.contains("407"), "\(name) error: \(result.stderr)")
            #expect(result.stderr.contains("proxy"), "\(name) error: \(result.stderr)")
            #expect(!result.stderr.contains(proxyPassword), "\(name) output shows the proxy password")
            #expect(!result.stdout.contains(proxyPassword), "\(name) output shows the proxy password")
        }
        #expect(proxy.connectTargets.count >= 2)
    }

    // MARK: - Refused URLs

    @Test(arguments: [
        "http://github.example.invalid/api/v3",
        "ftp://localhost/github",
    ])
    func nonHTTPSBaseURLIsRefused(baseURL: String) async throws {
        let setup = try await Setup()

        let result = try await setup.runner.execute(setup.addArguments("o/r", name: "plain", baseURL: baseURL), stdin: "x")

        #expect(result.status == 64)
        #expect(result.stderr.contains("https"))
    }

    @Test func userInfoBaseURLIsRefusedWithoutEcho() async throws {
        let setup = try await Setup()
        let secret = "tok-" + Lab.uniqueName("userinfo")
        let baseURL = setup.lab.baseURL("github").replacingOccurrences(of: "https://", with: "https://me:\(secret)@")

        let result = try await setup.runner.execute(setup.addArguments("o/r", name: "userinfo", baseURL: baseURL), stdin: "x")

        #expect(result.status == 64)
        #expect(!result.stderr.contains(secret))
        #expect(!result.stdout.contains(secret))
        #expect(result.stderr.contains("--token-stdin") || result.stderr.contains("token"), "\(result.stderr)")
    }
}
