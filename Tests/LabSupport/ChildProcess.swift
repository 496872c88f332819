public import Foundation

/// Runs a program to completion on a thread of its own.
///
/// Waiting for a child process blocks a thread. Doing that on one of Swift's cooperative threads (as
/// many as there are cores) stalls every other test that runs in parallel, and their network timeouts
/// then fire for no fault of the code under test. Tests start child processes through this type instead.
public enum ChildProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let standardOutput: Data
        public let standardError: Data

        public var outputText: String { String(decoding: standardOutput, as: UTF8.self) }
        public var errorText: String { String(decoding: standardError, as: UTF8.self) }
    }

    /// Runs `executable` with `arguments`, writes `input` to its standard input, and returns its status
    /// and output once it exits.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: Data? = nil,
        environment: [String: String]? = nil
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result {
                    try runBlocking(executable, arguments, input: input, environment: environment)
                })
            }
        }
    }

    private static func runBlocking(
        _ executable: String,
        _ arguments: [String],
        input: Data?,
        environment: [String: String]?
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = environment
        }

        let inputPipe = Pipe()
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        try process.run()

        if let input {
            inputPipe.fileHandleForWriting.write(input)
        }
        try? inputPipe.fileHandleForWriting.close()

        // Read standard error on another thread so that neither pipe can fill up and block the child.
        let errorReader = PipeReader(errorPipe.fileHandleForReading)
        let output = outputPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, standardOutput: output, standardError: errorReader.wait())
    }
}

/// Reads a pipe to its end on a background thread.
final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Waits until the pipe is closed and returns everything read.
    func wait() -> Data {
        done.wait()
        return data
    }
}
