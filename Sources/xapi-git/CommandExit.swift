/// An error that a command throws after printing its result, to end with a documented non-zero exit code,
/// such as `integration health` finding an expired token.
///
/// `CommandLineTool` returns `code` as the exit status. It prints `message` as an error only when the
/// message is set, because the command's own output already explains the outcome.
struct CommandExit: Error {
    let code: ExitCode
    let message: String?

    init(_ code: ExitCode, message: String? = nil) {
        self.code = code
        self.message = message
    }
}
