import Foundation
public import XapiCore

/// The local hosting lab that tests talk to: its URLs, its CA file, and `labctl` commands that add tokens and
/// repositories to it.
///
/// `shared()` runs `Integrations/lab/labctl start` once per test process (the command reuses a server that is
/// already running) unless `XAPI_LAB_URL` and `XAPI_GIT_CA_FILE` are set, in which case it uses them as they
/// are. Tests run in parallel against one server, so each test makes its own users and repositories with
/// `uniqueName(_:)`. Tokens reach `labctl` on standard input only, never in its arguments.
public struct Lab: Sendable {
    /// The lab's base URL, `https://localhost:PORT`.
    public let url: String

    /// The PEM file of the lab's test CA, which signed the server certificate for localhost and 127.0.0.1.
    public let caFile: String

    /// A URL whose port accepts TCP connections and never sends a byte, for connect and TLS timeouts.
    /// It is empty when the lab came from `XAPI_LAB_URL` without `XAPI_LAB_STALL_URL`.
    public let stallURL: String

    /// A URL of the same server whose certificate, signed by the lab CA, expired yesterday. It is nil when
    /// the running lab predates this listener or the environment gave no `XAPI_LAB_EXPIRED_URL`.
    public let expiredURL: String?

    /// A URL of the same server whose certificate, signed by the lab CA, names only `wrong.example.test`.
    /// It is nil when the running lab predates this listener or the environment gave no
    /// `XAPI_LAB_WRONG_HOST_URL`.
    public let wrongHostURL: String?

    /// The `labctl` script that changes the lab's tokens, repositories and switches.
    public let labctlPath: String

    /// Returns the lab of this test process, starting it on the first call.
    ///
    /// - Throws: `LabError` when `labctl start` fails or prints no URL; later calls throw the same error.
    public static func shared() throws -> Lab {
        try sharedLab.get()
    }

    private static let sharedLab: Result<Lab, any Error> = Result { try Lab.start() }

    private static func start() throws -> Lab {
        let environment = ProcessInfo.processInfo.environment
        let labctl = environment["XAPI_LABCTL"] ?? defaultLabctlPath()
        if let url = environment["XAPI_LAB_URL"], !url.isEmpty,
            let caFile = environment["XAPI_GIT_CA_FILE"], !caFile.isEmpty
        {
            return Lab(
                url: url,
                caFile: caFile,
                stallURL: environment["XAPI_LAB_STALL_URL"] ?? "",
                expiredURL: nonEmpty(environment["XAPI_LAB_EXPIRED_URL"]),
                wrongHostURL: nonEmpty(environment["XAPI_LAB_WRONG_HOST_URL"]),
                labctlPath: labctl
            )
        }

        let output = try runLabctl(labctl, ["start"], stdin: nil)
        var exports: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            guard line.hasPrefix("export ") else { continue }
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            exports[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        guard let url = exports["XAPI_LAB_URL"], let caFile = exports["XAPI_GIT_CA_FILE"],
            let stallURL = exports["XAPI_LAB_STALL_URL"]
        else {
            throw LabError(command: ["start"], status: 0, message: "labctl start printed no export lines: \(output)")
        }
        return Lab(
            url: url,
            caFile: caFile,
            stallURL: stallURL,
            expiredURL: exports["XAPI_LAB_EXPIRED_URL"],
            wrongHostURL: exports["XAPI_LAB_WRONG_HOST_URL"],
            labctlPath: labctl
        )
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// `<repository>/Integrations/lab/labctl`, found from this source file's path.
    private static func defaultLabctlPath() -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Tests/LabSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repository root
            .appendingPathComponent("Integrations/lab/labctl")
            .path
    }

    /// Returns the lab server's log, which has one line per request with its method and path (not its query).
    ///
    /// The log is `server.log` in the lab's state directory, which also contains `caFile`.
    public func serverLog() throws -> String {
        let directory = URL(fileURLWithPath: caFile).deletingLastPathComponent()
        let data = try Data(contentsOf: directory.appendingPathComponent("server.log"))
        return String(decoding: data, as: UTF8.self)
    }

    /// Returns the base URL of one emulated platform: `github`, `gitlab`, `bitbucket` or `bitbucket-dc`.
    public func baseURL(_ platform: String) -> String {
        url + "/" + platform
    }

    /// Adds a token for `user` (created on first use) and returns it.
    ///
    /// - Parameters:
    ///   - expires: an ISO 8601 date or date-time, or `never`; nil means 30 days ahead.
    ///   - scopes: the token's scopes; nil gives the platform's scopes that allow pushing.
    ///   - extra: more `labctl token add` flags, such as `["--kind", "api-token", "--email", "a@example.com"]`.
    public func addToken(
        platform: String,
        user: String,
        expires: String? = nil,
        scopes: [String]? = nil,
        extra: [String] = []
    ) async throws -> Secret {
        var arguments = ["token", "add", "--platform", platform, "--user", user]
        if let expires {
            arguments += ["--expires", expires]
        }
        if let scopes {
            arguments += ["--scopes", scopes.joined(separator: ",")]
        }
        arguments += extra

        let output = try await run(arguments)
        guard let token = Secret(trimming: output) else {
            throw LabError(command: arguments, status: 0, message: "labctl token add printed no token")
        }
        return token
    }

    /// Makes the token expired from now on.
    public func expire(_ token: Secret) async throws {
        try await run(["token", "expire", "-"], stdin: token.revealed())
    }

    /// Revokes the token.
    public func revoke(_ token: Secret) async throws {
        try await run(["token", "revoke", "-"], stdin: token.revealed())
    }

    /// Adds a bare repository whose branch `main` contains one commit with README.md (pass `["--empty"]` in
    /// `extra` for a repository without commits).
    ///
    /// - Parameters:
    ///   - name: `OWNER/REPO` (GitHub), `group/sub/project` (GitLab), `WORKSPACE/SLUG` (Bitbucket) or
    ///     `PROJECT/REPO` (Bitbucket Data Center).
    ///   - writers: logins that may push; the owner named by the first segment may push too.
    ///   - readers: logins that may read only.
    ///   - protect: branches whose updates the server rejects with the platform's message.
    public func addRepo(
        platform: String,
        _ name: String,
        writers: [String] = [],
        readers: [String] = [],
        protect: [String] = [],
        extra: [String] = []
    ) async throws {
        var arguments = ["repo", "add", "--platform", platform, name]
        arguments += writers.flatMap { ["--writer", $0] }
        arguments += readers.flatMap { ["--reader", $0] }
        arguments += protect.flatMap { ["--protect", $0] }
        arguments += extra
        try await run(arguments)
    }

    /// Returns the directory of the bare repository on disk, for checking its content with the git command line.
    public func repositoryPath(platform: String, _ name: String) async throws -> String {
        try await run(["repo", "path", "--platform", platform, name])
    }

    /// Returns how many pushes the repository accepted and how many fetches sent a pack, with its branches.
    public func repositoryStats(platform: String, _ name: String) async throws -> RepositoryStats {
        let output = try await run(["repo", "stats", "--platform", platform, name])
        do {
            return try JSONDecoder().decode(RepositoryStats.self, from: Data(output.utf8))
        } catch {
            throw LabError(command: ["repo", "stats"], status: 0, message: "labctl repo stats printed invalid JSON")
        }
    }

    /// Runs `labctl ARGUMENTS` and returns its standard output without surrounding white space.
    ///
    /// Pass a token through `stdin` with `-` as its argument, never in `arguments`. labctl runs on a
    /// thread of its own, so waiting for it never blocks one of Swift's few cooperative threads, which
    /// would delay every other test running in parallel.
    @discardableResult
    public func run(_ arguments: [String], stdin: String? = nil) async throws -> String {
        let labctl = labctlPath
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Lab.runLabctl(labctl, arguments, stdin: stdin) })
            }
        }
    }

    private static func runLabctl(_ labctl: String, _ arguments: [String], stdin: String?) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", labctl] + arguments
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors

        do {
            try process.run()
        } catch {
            throw LabError(command: arguments, status: -1, message: "could not run \(labctl): \(error)")
        }
        if let stdin {
            input.fileHandleForWriting.write(Data((stdin + "\n").utf8))
        }
        try? input.fileHandleForWriting.close()

        // Read standard error on another thread so that neither pipe can fill up and block labctl.
        let errorText = ErrorTextReader(errors.fileHandleForReading)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorData = errorText.wait()

        let status = process.terminationStatus
        guard status == 0 else {
            let message = String(decoding: errorData, as: UTF8.self).trimmingWhitespaceAndNewlines()
            throw LabError(command: arguments, status: status, message: message)
        }
        return String(decoding: outputData, as: UTF8.self).trimmingWhitespaceAndNewlines()
    }

    /// Returns `prefix` followed by a dash and ten random lowercase letters and digits: a name that no other
    /// test uses, valid as a login, a path segment and a repository name on every platform.
    public static func uniqueName(_ prefix: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let suffix = String((0..<10).map { _ in alphabet.randomElement() ?? "x" })
        return prefix + "-" + suffix
    }
}

/// What `labctl repo stats` reports about one repository.
public struct RepositoryStats: Sendable, Decodable, Equatable {
    /// Pushes that updated refs, counted by the repository's post-receive hook.
    public let pushes: Int
    /// Upload-pack responses that sent a pack.
    public let fetches: Int
    /// Every branch with the commit id it points at.
    public let branches: [String: String]
}

/// A `labctl` command that failed, with its arguments (which never hold a token) and its standard error.
public struct LabError: Error, CustomStringConvertible {
    public let command: [String]
    public let status: Int32
    public let message: String

    public var description: String {
        "labctl \(command.joined(separator: " ")) failed with status \(status): \(message)"
    }
}

/// Reads a file handle to its end on a thread of its own.
private final class ErrorTextReader: @unchecked Sendable {
    // Written once by the reading thread before `done` is signalled, read only after waiting on `done`.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
        thread.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
