import Foundation
import LabSupport

/// A recording CONNECT proxy on 127.0.0.1 (`Integrations/lab/labserver/proxy.py`), run by one test.
///
/// The proxy appends one `host:port` line per CONNECT to its record file, and with `requireAuthentication`
/// replies 407 to every CONNECT. It exits when `stop()` closes its standard input.
final class LabProxy: @unchecked Sendable {
    let url: String
    private let process: Process
    private let input: Pipe
    private let recordFile: String

    init(lab: Lab, requireAuthentication: Bool = false) throws {
        recordFile = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("proxy") + ".log").path
        FileManager.default.createFile(atPath: recordFile, contents: nil)

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "labserver.proxy", "--record", recordFile]
            + (requireAuthentication ? ["--require-auth"] : [])
        process.currentDirectoryURL = URL(fileURLWithPath: lab.labctlPath).deletingLastPathComponent()
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()

        // The proxy prints "port N" once it listens.
        var text = ""
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, line.hasPrefix("port "), let port = Int(line.dropFirst(5))
        else {
            process.terminate()
            throw LabProxyError(message: "the lab proxy printed no port: '\(text)'")
        }
        url = "http://127.0.0.1:\(port)"
    }

    /// The `host:port` of every CONNECT the proxy received so far, in order.
    var connectTargets: [String] {
        let text = (try? String(contentsOfFile: recordFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: recordFile)
    }
}

struct LabProxyError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
