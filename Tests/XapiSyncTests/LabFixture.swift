import Foundation
import LabSupport
import XapiCore
import XapiPlatforms
import XapiSync

/// A connector on a fresh home, an organization owned by `owner`, and a repository in the lab that
/// `writer` may push to, with a token for `writer`. The repository is on GitHub unless `platform` names
/// another one.
struct LabFixture {
    let lab: Lab
    let connector: Connector
    let home: String
    let owner = "olivia"
    let writer: String
    let platform: Platform
    let repository: String
    let token: Secret

    init(
        protect: [String] = [],
        tokenExpires: String? = nil,
        extraWriters: [String] = [],
        platform: Platform = .github,
        empty: Bool = false
    ) async throws {
        lab = try Lab.shared()
        home = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("xapi-home")).path
        var network = NetworkSettings(caFile: lab.caFile)
        network.operationTimeout = .seconds(20)
        connector = try Connector(configuration: ConnectorConfiguration(home: home, network: network))
        try await connector.initializeOrganization(owner: owner)

        self.platform = platform
        writer = Lab.uniqueName("writer")
        let namespace = Lab.uniqueName("org").replacingOccurrences(of: "-", with: "")
        switch platform {
        case .gitlab: repository = namespace + "/apis/specs"
        case .bitbucketDataCenter: repository = namespace.uppercased() + "/specs"
        case .github, .bitbucket: repository = namespace + "/" + Lab.uniqueName("specs")
        }
        // A Bitbucket Cloud access token travels as a bearer token, which `AccessToken(secret:)` sends.
        let kind = platform == .bitbucket ? ["--kind", "access-token"] : []
        token = try await lab.addToken(platform: platform.rawValue, user: writer, expires: tokenExpires, extra: kind)
        try await lab.addRepo(
            platform: platform.rawValue, repository, writers: [writer] + extraWriters, protect: protect,
            extra: empty ? ["--empty"] : [])
    }

    func spec(_ name: String, folder: String = "openapi", branch: String = "main") -> IntegrationSpec {
        IntegrationSpec(
            name: name,
            platform: platform,
            baseURL: lab.baseURL(platform.rawValue),
            repository: repository,
            branch: branch,
            folder: folder
        )
    }

    /// Adds an integration named `name` with the fixture's token and an API version switched to it.
    ///
    /// Verification needs the branch to exist; tests of a missing branch delete it afterwards.
    func addSyncedAPI(
        integration name: String = "specs",
        api: String = "shop/orders@v1",
        folder: String = "openapi",
        branch: String = "main"
    ) async throws -> TargetName {
        _ = try await connector.addIntegration(
            spec(name, folder: folder, branch: branch), token: AccessToken(secret: token), as: owner)
        let target = try TargetName(kind: .api, parsing: api)
        try await connector.addTarget(target, as: owner)
        _ = try await connector.switchTarget(target, to: name, as: owner)
        return target
    }

    /// Runs the git command line on the lab's bare repository and returns its standard output.
    func git(_ arguments: [String]) async throws -> Data {
        try await Self.runGit(
            ["--git-dir", try await lab.repositoryPath(platform: platform.rawValue, repository)] + arguments)
    }

    /// Returns the number of commits on `branch` of the lab repository.
    func commitCount(branch: String = "main") async throws -> Int {
        await Int(
            String(decoding: try git(["rev-list", "--count", branch]), as: UTF8.self).trimmingWhitespaceAndNewlines())
            ?? -1
    }

    /// Returns the commit that `branch` of the lab repository points at, or an empty string when it has none.
    func tip(branch: String = "main") async throws -> String {
        await String(decoding: try git(["rev-parse", "--verify", "--quiet", branch]), as: UTF8.self)
            .trimmingWhitespaceAndNewlines()
    }

    /// Returns the bytes of `path` on the lab repository's `main`.
    func remoteFile(_ path: String) async throws -> [UInt8] {
        await [UInt8](try git(["cat-file", "blob", "main:" + path]))
    }

    /// Points `branch` of the lab repository at `commit`, creating it when needed.
    func setBranch(_ branch: String, to commit: String) async throws {
        _ = try await git(["update-ref", "refs/heads/" + branch, commit])
    }

    /// Deletes `branch` from the lab repository; deleting every branch makes the repository look empty.
    func deleteBranch(_ branch: String) async throws {
        _ = try await git(["update-ref", "-d", "refs/heads/" + branch])
    }

    /// Commits `files` (repository path to bytes) on `main` of the lab repository as another person would,
    /// straight into the bare repository, and returns the new commit.
    @discardableResult
    func commitElsewhere(_ files: [String: [UInt8]], message: String = "Edit on the platform") async throws -> String {
        let prepared = try await prepareCommit(files, message: message)
        try await push(prepared)
        return prepared.commit
    }

    /// Commits `files` on `main` in a clone of the lab repository without pushing, so a test can push it at a
    /// chosen moment with `push(_:)`.
    func prepareCommit(_ files: [String: [UInt8]], message: String = "Edit on the platform") async throws
        -> PreparedCommit
    {
        let bare = try await lab.repositoryPath(platform: platform.rawValue, repository)
        let clone = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("clone")).path

        _ = try await Self.runGit(["clone", "--quiet", bare, clone])
        for (path, contents) in files {
            let url = URL(fileURLWithPath: clone).appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents).write(to: url)
        }
        let identity = [
            "-c", "user.name=Platform Editor", "-c", "user.email=editor@example.com", "-c", "core.autocrlf=false",
        ]
        _ = try await Self.runGit(["-C", clone] + identity + ["add", "--all"])
        _ = try await Self.runGit(["-C", clone] + identity + ["commit", "--quiet", "-m", message])
        let commit = String(decoding: try await Self.runGit(["-C", clone, "rev-parse", "HEAD"]), as: UTF8.self)
            .trimmingWhitespaceAndNewlines()
        return PreparedCommit(clone: clone, commit: commit)
    }

    /// Pushes a prepared commit to `main` of the lab repository and removes its clone.
    func push(_ prepared: PreparedCommit) async throws {
        defer { try? FileManager.default.removeItem(atPath: prepared.clone) }
        _ = try await Self.runGit(["-C", prepared.clone, "push", "--quiet", "origin", "HEAD:main"])
    }

    /// Runs `git ARGUMENTS` on a thread of its own and returns its standard output.
    static func runGit(_ arguments: [String]) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
                        process.arguments = arguments
                        // Tests may point HOME at a configuration with core.autocrlf; these helpers must not see it.
                        var environment = ProcessInfo.processInfo.environment
                        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
                        environment["GIT_CONFIG_NOSYSTEM"] = "1"
                        process.environment = environment
                        let pipe = Pipe()
                        process.standardOutput = pipe
                        process.standardError = FileHandle.nullDevice
                        try process.run()
                        let data = pipe.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        return data
                    })
            }
        }
    }
}

/// A commit made in a temporary clone of a lab repository and not pushed yet.
struct PreparedCommit {
    let clone: String
    let commit: String
}
