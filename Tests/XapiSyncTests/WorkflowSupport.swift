import Foundation
import LabSupport
import Synchronization
import Testing
import XapiCore
import XapiPlatforms
import XapiStore
import XapiSync

/// Collects the messages a connector logs, so tests can check that a recovery or a dropped result was logged.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        let level: Log.Level
        let message: String
        let metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    var log: Log {
        Log(minimumLevel: .debug) { [self] level, message, metadata in
            entries.withLock { $0.append(Entry(level: level, message: message, metadata: metadata)) }
        }
    }

    /// Returns the entries logged with exactly `message`.
    func entries(_ message: String) -> [Entry] {
        entries.withLock { $0.filter { $0.message == message } }
    }
}

extension LabFixture {
    /// Another connector on the fixture's home, with its own log and network timeout.
    func connector(log: Log = .silent, timeout: Duration = .seconds(20)) throws -> Connector {
        var network = NetworkSettings(caFile: lab.caFile)
        network.operationTimeout = timeout
        return try Connector(configuration: ConnectorConfiguration(home: home, network: network, log: log))
    }

    /// The owner part of the fixture's `OWNER/REPO` repository.
    var repositoryOwner: String {
        String(repository.split(separator: "/")[0])
    }

    /// Returns the bytes of `path` on `branch` of the lab repository.
    func remoteFile(_ path: String, branch: String) async throws -> [UInt8] {
        [UInt8](try await git(["cat-file", "blob", branch + ":" + path]))
    }

    /// Returns the lock files under the home's `locks` directory.
    func lockFiles() throws -> [String] {
        let directory = home + "/locks"
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".lock") }
            .map { directory + "/" + $0 }
    }
}

/// A connector on a fresh home with an organization, for checks that end before any network request, such
/// as the permission matrix.
struct OfflineHome {
    let connector: Connector
    let home: String
    let owner = "olivia"

    init() async throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("xapi-offline")).path
        // The Git transport settings are global to the process, so this connector must trust the lab's CA
        // like every other connector in the test process, or the pushes of tests running beside it fail.
        let network = NetworkSettings(caFile: try Lab.shared().caFile)
        connector = try Connector(configuration: ConnectorConfiguration(home: home, network: network))
        try await connector.initializeOrganization(owner: owner)
    }

    /// Stores an integration directly in the store, without verifying its token, so that operations on it
    /// can be checked up to their first network call.
    func seedIntegration(_ name: String) throws {
        let key = try SealingKey.loadOrCreate(path: home + "/sealing.key")
        let store = try Store.open(home: home, key: key)
        try store.write { writer in
            try writer.insertIntegration(
                NewIntegration(
                    name: name,
                    platform: Platform.github.rawValue,
                    baseURL: "https://localhost:9/github",
                    repository: "acme/specs",
                    branch: "main",
                    folder: "openapi",
                    credentialKind: String(decoding: try JSONEncoder().encode(CredentialKind.accessToken), as: UTF8.self),
                    token: Secret("seed-token-not-valid-anywhere"),
                    state: .active,
                    stateDetail: "seeded by the test"
                )
            )
        }
    }
}

/// A child process that holds a repository lock file with `flock(1)` until `release()` closes its input.
///
/// It writes a holder record (pid, host, time) into the file as xapi-git does, so that a waiting sync
/// can name the holder.
final class LockHoldingProcess: @unchecked Sendable {
    // @unchecked Sendable: a test creates it, then calls `holderPID` and `release` one after another.
    let process = Process()
    private let input = Pipe()
    private let ready = Pipe()

    /// Starts `flock PATH sh -c …` and returns once the child holds the lock.
    init(lockFile: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        process.arguments = [
            lockFile, "sh", "-c",
            "printf '%s\\n%s\\n%s\\n' $$ \"$(uname -n)\" \"$(date +%s)\" > \"$0\"; echo held; exec cat >/dev/null",
            lockFile,
        ]
        process.standardInput = input
        process.standardOutput = ready
        process.standardError = FileHandle.nullDevice
        try process.run()

        // The child prints "held" once it holds the lock and wrote its record.
        _ = ready.fileHandleForReading.availableData
    }

    /// Returns the pid the child wrote into the lock file.
    func holderPID(lockFile: String) throws -> String {
        let text = try String(contentsOfFile: lockFile, encoding: .utf8)
        return String(text.split(separator: "\n").first ?? "")
    }

    /// Closes the child's input, so it exits and the kernel drops its lock, and waits for `flock` to exit.
    func release() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// Runs `body` on a thread of its own, so blocking work never holds a thread of Swift's cooperative pool.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
