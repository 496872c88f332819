import Foundation
import Synchronization
import XapiCore

@testable import XapiStore

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryHome {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("xapi-store-tests-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var storePath: String { (path as NSString).appendingPathComponent("store.db") }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with a new temporary home and removes the home afterwards.
func withTemporaryHome<T>(_ body: (TemporaryHome) throws -> T) throws -> T {
    let home = try TemporaryHome()
    defer { home.remove() }
    return try body(home)
}

/// Runs `body` with a new temporary home and removes the home afterwards.
func withTemporaryHome<T>(_ body: (TemporaryHome) async throws -> T) async throws -> T {
    let home = try TemporaryHome()
    defer { home.remove() }
    return try await body(home)
}

/// Returns a token of random text that appears nowhere else, so finding it in a file proves a leak.
func uniqueToken() -> Secret {
    Secret("xapi-test-token-\(UUID().uuidString)-\(UUID().uuidString)")
}

/// Returns a new integration with typical values. `name` must be unique within the store.
func newIntegration(
    _ name: String,
    token: Secret = uniqueToken(),
    state: IntegrationState = .active
) -> NewIntegration {
    NewIntegration(
        name: name,
        platform: "github",
        baseURL: "https://localhost:8443/github",
        repository: "acme/\(name)",
        branch: "main",
        folder: "apis",
        credentialKind: #"{"kind":"personal"}"#,
        token: token,
        account: "octo",
        expiresAt: Date(timeIntervalSince1970: 1_900_000_000),
        scopes: ["repo", "workflow"],
        state: state,
        stateDetail: "token checked"
    )
}

/// Opens a second, raw SQLite connection on a store file, for checks below the public API.
func rawConnection(_ home: TemporaryHome) throws -> SQLiteConnection {
    try SQLiteConnection(path: home.storePath, busyTimeout: .seconds(5))
}

/// Returns whether the bytes `needle` occur in the file at `path` (false when the file is missing).
func file(_ path: String, contains needle: [UInt8]) -> Bool {
    guard let data = FileManager.default.contents(atPath: path) else { return false }
    return data.range(of: Data(needle)) != nil
}

/// Returns the permission bits of a file, such as 0o600.
func permissions(of path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
}

/// Collects log messages for checks.
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

    var recorded: [Entry] {
        entries.withLock { $0 }
    }
}

struct IntentionalFailure: Error {}
