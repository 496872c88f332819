import Foundation
import LabSupport
import XapiCore

/// Runs the built `xapi-git` in its own session (so it has no controlling terminal) with a private
/// home, and collects what it printed.
struct CommandRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let home: String
    let environment: [String: String]

    init(lab: Lab, actor: String? = nil) {
        home = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("xapi-cli")).path
        var environment = ProcessInfo.processInfo.environment
        environment["XAPI_GIT_HOME"] = home
        environment["XAPI_GIT_CA_FILE"] = lab.caFile
        environment["XAPI_GIT_USER"] = actor
        environment.removeValue(forKey: "XAPI_GIT_KEY")
        self.environment = environment
    }

    /// The `xapi-git` built beside this test bundle.
    static var binary: String {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("xapi-git").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// Runs `xapi-git ARGUMENTS` with `extraEnvironment` added and `stdin` as standard input, on a thread
    /// of its own so that the wait never holds one of Swift's cooperative threads.
    func execute(_ arguments: [String], stdin: String? = nil, extraEnvironment: [String: String] = [:]) async throws -> Result {
        let child = try await ChildProcess.run(
            "/usr/bin/setsid",
            ["--wait", CommandRunner.binary] + arguments,
            input: stdin.map { Data($0.utf8) },
            environment: environment.merging(extraEnvironment) { $1 }
        )
        return Result(status: child.status, stdout: child.outputText, stderr: child.errorText)
    }
}
