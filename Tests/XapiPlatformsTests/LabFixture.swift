import Foundation
import LabSupport
import XapiCore
import XapiHTTP
import XapiPlatforms

/// The lab as adapter tests use it: a client that trusts the lab's CA, and adapters for its platforms.
struct LabFixture {
    let lab: Lab
    let client: HTTPClient

    init() throws {
        lab = try Lab.shared()
        client = HTTPClient(
            settings: NetworkSettings(caFile: lab.caFile, connectTimeout: .seconds(10), operationTimeout: .seconds(30))
        )
    }

    /// Returns the adapter for `platform` at the lab, through `transport` (the lab-trusting client when nil).
    func adapter(_ platform: Platform, transport: (any HTTPTransport)? = nil) throws -> any PlatformAdapter {
        try PlatformAdapters.adapter(
            for: platform,
            baseURL: lab.baseURL(platform.rawValue),
            transport: transport ?? client
        )
    }

    /// Verifies `token` for `repository` and `branch` at the lab.
    func verify(
        _ platform: Platform,
        token: AccessToken,
        repository: String,
        branch: String = "main",
        context: VerificationContext = VerificationContext(),
        transport: (any HTTPTransport)? = nil
    ) async throws -> TokenReport {
        let location = RepositoryLocation(
            platform: platform,
            baseURL: lab.baseURL(platform.rawValue),
            repository: repository,
            branch: branch
        )
        let report = try await adapter(platform, transport: transport).verify(
            token: token,
            at: location,
            context: context
        )
        try expectNoSecret(token.secret, in: report)
        return report
    }

    /// Returns an ISO 8601 date-time `seconds` from now, for `labctl token add --expires`.
    static func isoDate(secondsFromNow seconds: TimeInterval) -> String {
        Date().addingTimeInterval(seconds).formatted(.iso8601)
    }

    /// Runs `git` with `arguments`, for preparing branches in the lab's bare repositories.
    @discardableResult
    static func git(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw GitCommandFailed(arguments: arguments, status: process.terminationStatus, output: text)
        }
        return text
    }
}

/// A `git` command that exited with a non-zero status.
struct GitCommandFailed: Error, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let output: String
    var description: String { "git \(arguments.joined(separator: " ")) failed with status \(status): \(output)" }
}

/// A report that contains a token's bytes anywhere: in its detail, notes or any other field.
struct SecretInReport: Error, CustomStringConvertible {
    let field: String
    var description: String { "the report's \(field) contains the token" }
}

/// Throws when the report, encoded as JSON, contains the token.
func expectNoSecret(_ secret: Secret, in report: TokenReport) throws {
    let encoded = try JSONEncoder().encode(report)
    let text = String(decoding: encoded, as: UTF8.self)
    if text.contains(secret.revealed()) {
        throw SecretInReport(field: "JSON encoding")
    }
}
