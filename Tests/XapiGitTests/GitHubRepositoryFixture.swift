import Foundation
import LabSupport
import XapiCore
import XapiGit

/// A repository on the lab's GitHub with a writer token, and helpers to inspect it with the git command line.
struct GitHubRepositoryFixture {
    let lab: Lab
    /// `OWNER/REPO`.
    let name: String
    let owner: String
    let token: Secret

    /// Adds a repository owned by a new user and a token of that user that may push.
    static func make(protect: [String] = [], empty: Bool = false) async throws -> GitHubRepositoryFixture {
        let lab = try Lab.shared()
        let owner = Lab.uniqueName("owner")
        let name = owner + "/" + Lab.uniqueName("repo")
        let token = try await lab.addToken(platform: "github", user: owner)
        try await lab.addRepo(platform: "github", name, protect: protect, extra: empty ? ["--empty"] : [])
        return GitHubRepositoryFixture(lab: lab, name: name, owner: owner, token: token)
    }

    var remoteURL: String { lab.baseURL("github") + "/" + name + ".git" }

    var credential: GitCredential { GitCredential(username: "x-access-token", password: token) }

    /// Opens a mirror of this repository in a new temporary directory, with the lab's CA configured.
    func openMirror() async throws -> Mirror {
        try configureTransport(lab)
        return try await Mirror.open(at: try temporaryDirectory("mirror"), remoteURL: remoteURL)
    }

    /// Returns the bytes of `path` on `branch` in the lab's bare repository, read with `git cat-file blob`.
    func committedBytes(_ path: String, branch: String = "main") async throws -> [UInt8] {
        let directory = try await lab.repositoryPath(platform: "github", name)
        return try runGit(["--git-dir", directory, "cat-file", "blob", "\(branch):\(path)"])
    }

    /// Returns the commit id that `branch` points at in the lab's bare repository.
    func branchTip(_ branch: String = "main") async throws -> String {
        let directory = try await lab.repositoryPath(platform: "github", name)
        let output = try runGit(["--git-dir", directory, "rev-parse", "refs/heads/\(branch)"])
        return String(decoding: output, as: UTF8.self).trimmingWhitespaceAndNewlines()
    }
}

/// Points the Git transport at the lab's CA, as the product does at start-up.
func configureTransport(_ lab: Lab) throws {
    try GitTransport.configure(NetworkSettings(caFile: lab.caFile, connectTimeout: .seconds(5)))
}

/// Creates a new empty directory under the system's temporary directory and returns its path.
func temporaryDirectory(_ prefix: String) throws -> String {
    let path = NSTemporaryDirectory() + "xapi-git-tests/" + Lab.uniqueName(prefix)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs the git command line without any user or system configuration and returns its standard output.
func runGit(_ arguments: [String], input: [UInt8]? = nil) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
    process.environment = environment

    let output = Pipe()
    let errors = Pipe()
    let standardInput = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = standardInput
    try process.run()
    if let input {
        standardInput.fileHandleForWriting.write(Data(input))
    }
    try standardInput.fileHandleForWriting.close()

    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let message = String(decoding: errorData, as: UTF8.self)
        throw GitCommandError(arguments: arguments, message: message)
    }
    return Array(data)
}

struct GitCommandError: Error, CustomStringConvertible {
    let arguments: [String]
    let message: String

    var description: String { "git \(arguments.joined(separator: " ")) failed: \(message)" }
}

/// Bytes with CRLF line ends and no final newline, which a filtered write would change.
let windowsText: [UInt8] = Array("openapi: 3.1.0\r\ninfo:\r\n  title: Pets\r\n  version: '1'".utf8)

let signature = GitSignature(
    name: "Ada Tester", email: "ada@example.com", date: Date(timeIntervalSince1970: 1_700_000_000))
