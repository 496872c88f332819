import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiSync

@Suite("Concurrent pushes from separate homes")
struct PushRaceTests {
    /// Syncs from separate homes share no repository lock, so only the server's ref update orders their
    /// pushes. A delay on the repository's Git requests widens the window between a push's reference
    /// advertisement and its update, where the server rejects a stale update with "cannot lock ref".
    @Test("concurrent syncs from separate homes all land")
    func concurrentHomesAllLand() async throws {
        let fixture = try await LabFixture()
        let homes = 4
        var connectors: [Connector] = [fixture.connector]
        for _ in 1..<homes {
            connectors.append(try await Self.connectorOnNewHome(lab: fixture.lab))
        }

        var targets: [TargetName] = []
        for (index, connector) in connectors.enumerated() {
            _ = try await connector.addIntegration(
                fixture.spec("specs"), token: AccessToken(secret: fixture.token), as: fixture.owner)
            let target = try TargetName(kind: .api, parsing: "shop/api\(index)@v1")
            try await connector.addTarget(target, as: fixture.owner)
            _ = try await connector.switchTarget(target, to: "specs", as: fixture.owner)
            targets.append(target)
        }
        let before = try await fixture.commitCount()

        let files = (0..<homes).map { index in
            SyncFile(path: "api\(index).yaml", contents: Array("openapi: 3.1.0\ninfo: {title: API \(index)}\n".utf8))
        }
        let prefix = "/github/\(fixture.repository).git"
        try await fixture.lab.run(["latency", "300", "--prefix", prefix])
        // Each sync catches its own error, so the latency rule is always removed below.
        let results = await withTaskGroup(of: (Int, Result<Bool, any Error>).self) { group in
            for index in 0..<homes {
                let connector = connectors[index]
                let target = targets[index]
                let file = files[index]
                let owner = fixture.owner
                group.addTask {
                    do {
                        let outcome = try await connector.sync(
                            target, files: [file], message: "api \(index)", as: owner)
                        return (index, .success(outcome.pushed))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var collected = [Result<Bool, any Error>](repeating: .success(false), count: homes)
            for await (index, result) in group {
                collected[index] = result
            }
            return collected
        }
        try await fixture.lab.run(["latency", "0", "--prefix", prefix])

        for (index, result) in results.enumerated() {
            switch result {
            case .success(let pushed):
                #expect(pushed, "sync \(index) pushed nothing")
            case .failure(let error):
                Issue.record("sync \(index) failed: \(error)")
            }
        }
        #expect(try await fixture.commitCount() == before + homes)
        for (index, file) in files.enumerated() {
            #expect(try await fixture.remoteFile("openapi/api\(index).yaml") == file.contents, "file \(index)")
        }
    }

    /// Returns a connector on a fresh home with an organization owned by the fixture's owner.
    static func connectorOnNewHome(lab: Lab) async throws -> Connector {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("xapi-home")).path
        var network = NetworkSettings(caFile: lab.caFile)
        network.operationTimeout = .seconds(20)
        let connector = try Connector(configuration: ConnectorConfiguration(home: home, network: network))
        try await connector.initializeOrganization(owner: "olivia")
        return connector
    }
}
