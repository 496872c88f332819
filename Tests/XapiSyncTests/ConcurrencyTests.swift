import Foundation
import LabSupport
import Testing
import XapiCore
import XapiPlatforms
import XapiStore
import XapiSync

@Suite("Concurrent verification and syncs")
struct ConcurrencyTests {
    @Test("stale verify result after reconnect is dropped")
    func staleVerifyDropped() async throws {
        let fixture = try await LabFixture()
        _ = try await fixture.addSyncedAPI()
        let owner = fixture.repositoryOwner

        // The old token loses access through SSO; the new one is authorized, so the two checks disagree.
        let fresh = try await fixture.lab.addToken(platform: "github", user: fixture.writer)
        try await fixture.lab.run(["sso", "enforce", "--platform", "github", owner])
        try await fixture.lab.run(["sso", "authorize", "-", owner], stdin: fresh.revealed())
        let review = try await fixture.connector.reviewReconnect(named: "specs", token: fresh, as: fixture.owner)

        // Delay the repository call of the check with the old token until the reconnect is stored.
        let recorder = LogRecorder()
        let checker = try fixture.connector(log: recorder.log)
        try await fixture.lab.run(["latency", "3000", "--prefix", "/github/api/v3/repos/\(owner)/"])
        let staleCheck = Task { try await checker.verifyIntegration(named: "specs", as: fixture.owner) }
        try await Task.sleep(for: .seconds(1))
        let reconnected: IntegrationRecord
        let staleReport: TokenReport
        do {
            reconnected = try await fixture.connector.applyReconnect(review, as: fixture.owner)
            staleReport = try await staleCheck.value.1
        } catch {
            try await fixture.lab.run(["latency", "0"])
            throw error
        }
        try await fixture.lab.run(["latency", "0"])

        #expect(staleReport.status == .ssoRequired)
        #expect(recorder.entries("dropped a verification result for a replaced token").count == 1)
        let final = try await fixture.connector.integration(named: "specs", as: fixture.owner)
        #expect(final.state == .active)
        #expect(final.credentialVersion == reconnected.credentialVersion)
        let history = try await fixture.connector.stateHistory(named: "specs", as: fixture.owner)
        #expect(!history.contains { $0.to == .needsAttention })
        #expect(history.last?.to == .active)
        #expect(history.last?.credentialVersion == reconnected.credentialVersion)
    }

    @Test("concurrent syncs to one repository both land")
    func concurrentSyncsBothLand() async throws {
        let fixture = try await LabFixture()
        let first = try await fixture.addSyncedAPI(integration: "specs", api: "shop/orders@v1")
        let second = try TargetName(kind: .api, parsing: "shop/billing@v1")
        try await fixture.connector.addTarget(second, as: fixture.owner)
        _ = try await fixture.connector.switchTarget(second, to: "specs", as: fixture.owner)
        let before = try await fixture.commitCount()

        // Two connectors on one home act like two processes: each has its own store connection.
        let firstConnector = try fixture.connector()
        let secondConnector = try fixture.connector()
        let orders = SyncFile(path: "orders.yaml", contents: Array("openapi: 3.1.0\ninfo: {title: Orders}\n".utf8))
        let billing = SyncFile(path: "billing.yaml", contents: Array("openapi: 3.1.0\ninfo: {title: Billing}\n".utf8))
        async let firstOutcome = firstConnector.sync(first, files: [orders], message: "orders", as: fixture.owner)
        async let secondOutcome = secondConnector.sync(second, files: [billing], message: "billing", as: fixture.owner)
        let outcomes = try await [firstOutcome, secondOutcome]

        #expect(outcomes.allSatisfy { $0.pushed })
        #expect(try await fixture.commitCount() == before + 2)
        #expect(try await fixture.remoteFile("openapi/orders.yaml") == orders.contents)
        #expect(try await fixture.remoteFile("openapi/billing.yaml") == billing.contents)
    }

    @Test("stale lock is recovered and logged")
    func staleLockRecovered() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.connector.sync(
            target, files: [SyncFile(path: "a.yaml", contents: Array("openapi: 3.0.3\ninfo: {title: a, version: '1'}\npaths: {}\n".utf8))], message: nil, as: fixture.owner)
        let lockFile = try #require(try fixture.lockFiles().first)

        // A holder record whose process has exited, as a crashed sync leaves it.
        let deadPID = try await onOwnThread { () -> Int32 in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/true")
            try process.run()
            process.waitUntilExit()
            return process.processIdentifier
        }
        let record = "\(deadPID)\n\(ProcessInfo.processInfo.hostName)\n\(Date().timeIntervalSince1970)\n"
        try record.write(toFile: lockFile, atomically: false, encoding: .utf8)

        let recorder = LogRecorder()
        let outcome = try await fixture.connector(log: recorder.log).sync(
            target, files: [SyncFile(path: "b.yaml", contents: Array("openapi: 3.0.3\ninfo: {title: b, version: '2'}\npaths: {}\n".utf8))], message: nil, as: fixture.owner)

        #expect(outcome.pushed)
        let recovered = recorder.entries("recovered stale lock")
        #expect(recovered.count == 1)
        #expect(recovered.first?.metadata["previous_pid"] == String(deadPID))
        #expect(try String(contentsOfFile: lockFile, encoding: .utf8).isEmpty)
    }

    @Test("live lock makes sync time out naming the holder")
    func liveLockTimesOut() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.connector.sync(
            target, files: [SyncFile(path: "a.yaml", contents: Array("openapi: 3.0.3\ninfo: {title: a, version: '1'}\npaths: {}\n".utf8))], message: nil, as: fixture.owner)
        let lockFile = try #require(try fixture.lockFiles().first)
        let before = try await fixture.commitCount()

        let holder = try await onOwnThread { try LockHoldingProcess(lockFile: lockFile) }
        let holderPID = try holder.holderPID(lockFile: lockFile)
        let impatient = try fixture.connector(timeout: .seconds(2))
        var thrown: ConnectorError?
        do {
            _ = try await impatient.sync(
                target, files: [SyncFile(path: "b.yaml", contents: Array("openapi: 3.0.3\ninfo: {title: b, version: '2'}\npaths: {}\n".utf8))], message: nil,
                as: fixture.owner)
        } catch let error as ConnectorError {
            thrown = error
        }
        try await onOwnThread { holder.release() }

        let error = try #require(thrown)
        #expect(error.message.contains("held by process \(holderPID)"), "\(error.message)")
        #expect(try await fixture.commitCount() == before)
    }

    @Test("live lock makes sync wait until released")
    func liveLockWaitsForRelease() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        _ = try await fixture.connector.sync(
            target, files: [SyncFile(path: "a.yaml", contents: Array("openapi: 3.0.3\ninfo: {title: a, version: '1'}\npaths: {}\n".utf8))], message: nil, as: fixture.owner)
        let lockFile = try #require(try fixture.lockFiles().first)

        let holder = try await onOwnThread { try LockHoldingProcess(lockFile: lockFile) }
        let clock = ContinuousClock()
        let start = clock.now
        let waiting = Task {
            try await fixture.connector.sync(
                target, files: [SyncFile(path: "b.yaml", contents: Array("openapi: 3.0.3\ninfo: {title: b, version: '2'}\npaths: {}\n".utf8))], message: nil,
                as: fixture.owner)
        }
        try await Task.sleep(for: .seconds(1.5))
        try await onOwnThread { holder.release() }

        let outcome = try await waiting.value
        #expect(outcome.pushed)
        #expect(clock.now - start >= .seconds(1.5))
        #expect(try await fixture.remoteFile("openapi/b.yaml") == Array("openapi: 3.0.3\ninfo: {title: b, version: '2'}\npaths: {}\n".utf8))
    }
}
