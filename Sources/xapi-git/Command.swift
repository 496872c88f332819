import Foundation
import XapiSync

/// One subcommand: its words, its options, its help, and what it runs.
struct Command: Sendable {
    /// The words that select the command, such as `["integration", "add"]`.
    let path: [String]
    let usage: String
    let summary: String
    var valueOptions: Set<String> = []
    var flagOptions: Set<String> = []
    let run: @Sendable (Invocation) async throws -> Void
}

/// What a running command gets: its parsed arguments, the global options, and the output.
struct Invocation: Sendable {
    let arguments: Arguments
    let global: GlobalOptions
    let output: Output

    func connector(createsStore: Bool = false) async throws -> Connector {
        try await global.makeConnector(createsStore: createsStore)
    }

    func actor() throws -> String { try global.requireActor() }
}

/// Runs blocking file work on a thread of its own, so that it never holds one of Swift's cooperative
/// threads (there are only as many as cores).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
