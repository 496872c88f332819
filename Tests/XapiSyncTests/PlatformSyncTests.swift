import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

/// One platform's way of naming a repository and presenting a token, for the cross-platform tests.
struct PlatformCase: Sendable, CustomTestStringConvertible {
    let platform: Platform
    let labKind: String
    let credential: CredentialKind?
    let repository: @Sendable (String) -> String

    var testDescription: String { "\(platform.rawValue) (\(labKind))" }

    static let all: [PlatformCase] = [
        PlatformCase(platform: .github, labKind: "personal", credential: nil) { "\($0)/specs" },
        PlatformCase(platform: .gitlab, labKind: "personal", credential: nil) { "\($0)/apis/specs" },
        PlatformCase(platform: .bitbucket, labKind: "api-token", credential: .bitbucketAPIToken(email: "")) { "\($0)/specs" },
        PlatformCase(platform: .bitbucket, labKind: "access-token", credential: .bitbucketAccessToken) { "\($0)/specs" },
        PlatformCase(platform: .bitbucket, labKind: "app-password", credential: .bitbucketAppPassword(username: "")) { "\($0)/specs" },
        PlatformCase(platform: .bitbucketDataCenter, labKind: "personal", credential: nil) { "\($0.uppercased())/specs" },
        PlatformCase(platform: .bitbucketDataCenter, labKind: "repository-token", credential: .dataCenterBearerToken) {
            "\($0.uppercased())/specs"
        },
    ]
}

@Suite("Sync on every platform")
struct PlatformSyncTests {
    @Test("sync lands byte-identical", arguments: PlatformCase.all)
    func syncLandsByteIdentical(_ platformCase: PlatformCase) async throws {
        let lab = try Lab.shared()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("xapi-home")).path
        var network = NetworkSettings(caFile: lab.caFile)
        network.operationTimeout = .seconds(30)
        let connector = try Connector(configuration: ConnectorConfiguration(home: home, network: network))
        try await connector.initializeOrganization(owner: "olivia")

        let user = Lab.uniqueName("writer")
        let email = "\(user)@example.com"
        let namespace = Lab.uniqueName("team").replacingOccurrences(of: "-", with: "")
        let repository = platformCase.repository(namespace)
        let secret = try await lab.addToken(
            platform: platformCase.platform.rawValue,
            user: user,
            extra: ["--kind", platformCase.labKind, "--email", email]
        )
        try await lab.addRepo(platform: platformCase.platform.rawValue, repository, writers: [user])

        let kind: CredentialKind
        switch platformCase.credential {
        case .bitbucketAPIToken?: kind = .bitbucketAPIToken(email: email)
        case .bitbucketAppPassword?: kind = .bitbucketAppPassword(username: user)
        case let other?: kind = other
        case nil: kind = .accessToken
        }

        let spec = IntegrationSpec(
            name: "specs",
            platform: platformCase.platform,
            baseURL: lab.baseURL(platformCase.platform.rawValue),
            repository: repository,
            branch: "main",
            folder: "apis/payments"
        )
        let (_, report) = try await connector.addIntegration(spec, token: AccessToken(kind: kind, secret: secret), as: "olivia")
        #expect(report.permitsSync)
        if platformCase.labKind == "app-password" {
            #expect(report.notes.contains { $0.contains("deprecated") })
        }

        let target = try TargetName(kind: .model, parsing: "payments/orders")
        try await connector.addTarget(target, as: "olivia")
        _ = try await connector.switchTarget(target, to: "specs", as: "olivia")

        let contents = Array("openapi: 3.1.0\r\ninfo:\r\n  title: Orders ü\r\n  version: '2'\r\npaths: {}".utf8)
        let outcome = try await connector.sync(
            target,
            files: [SyncFile(path: "orders.yaml", contents: contents)],
            message: "Sync orders",
            as: "olivia"
        )
        #expect(outcome.pushed)

        let bare = try await lab.repositoryPath(platform: platformCase.platform.rawValue, repository)
        #expect(try await gitShow(bare, "main:apis/payments/orders.yaml") == contents)
        #expect(try String(decoding: await gitShow(bare, "main:README.md"), as: UTF8.self).isEmpty == false)
    }

    func gitShow(_ gitDirectory: String, _ object: String) async throws -> [UInt8] {
        let result = try await ChildProcess.run("/usr/bin/git", ["--git-dir", gitDirectory, "cat-file", "blob", object])
        return [UInt8](result.standardOutput)
    }
}
