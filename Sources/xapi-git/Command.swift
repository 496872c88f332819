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

    func connector() throws -> Connector { try global.makeConnector() }

    func actor() throws -> String { try global.requireActor() }
}
