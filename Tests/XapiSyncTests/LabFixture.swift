import Foundation
import LabSupport
import XapiCore
import XapiPlatforms
import XapiSync

/// A connector on a fresh home, an organization owned by `owner`, and a GitHub repository in the lab
/// that `writer` may push to, with a token for `writer`.
struct LabFixture {
    let lab: Lab
    let connector: Connector
    let home: String
    let owner = "olivia"
    let writer: String
    let repository: String
    let token: Secret

    init(protect: [String] = [], tokenExpires: String? = nil, extraWriters: [String] = []) async throws {
        lab = try Lab.shared()
        home = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("xapi-home")).path
        var network = NetworkSettings(caFile: lab.caFile)
        network.operationTimeout = .seconds(20)
        connector = try Connector(configuration: ConnectorConfiguration(home: home, network: network))
        try await connector.initializeOrganization(owner: owner)

        writer = Lab.uniqueName("writer")
        repository = Lab.uniqueName("org") + "/" + Lab.uniqueName("specs")
        token = try await lab.addToken(platform: "github", user: writer, expires: tokenExpires)
        try await lab.addRepo(platform: "github", repository, writers: [writer] + extraWriters, protect: protect)
    }

    func spec(_ name: String, folder: String = "openapi") -> IntegrationSpec {
        IntegrationSpec(
            name: name,
            platform: .github,
            baseURL: lab.baseURL("github"),
            repository: repository,
            branch: "main",
            folder: folder
        )
    }

    /// Adds an integration named `name` with the fixture's token and an API version switched to it.
    func addSyncedAPI(integration name: String = "specs", api: String = "shop/orders@v1") async throws -> TargetName {
        _ = try await connector.addIntegration(spec(name), token: AccessToken(secret: token), as: owner)
        let target = try TargetName(kind: .api, parsing: api)
        try await connector.addTarget(target, as: owner)
        _ = try await connector.switchTarget(target, to: name, as: owner)
        return target
    }

    /// Runs the git command line on the lab's bare repository and returns its standard output.
    func git(_ arguments: [String]) async throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["--git-dir", try await lab.repositoryPath(platform: "github", repository)] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    /// The number of commits on the lab repository's `main`.
    func commitCount() async throws -> Int {
        await Int(String(decoding: try git(["rev-list", "--count", "main"]), as: UTF8.self).trimmingWhitespaceAndNewlines()) ?? -1
    }

    /// The bytes of `path` on the lab repository's `main`.
    func remoteFile(_ path: String) async throws -> [UInt8] {
        await [UInt8](try git(["cat-file", "blob", "main:" + path]))
    }
}
