import Foundation
import XapiSync

/// Finds the command for a command line, runs it, and turns its errors into messages and exit codes.
struct CommandLineTool {
    /// The version `--version` prints.
    static let version = "0.1.0"

    let commands: [Command]

    func run(_ arguments: [String], environment: [String: String]) async -> ExitCode {
        let (leadingOptions, words) = Self.splitLeadingGlobalOptions(arguments)
        if words == ["--version"] {
            print("xapi-git \(Self.version)")
            return .success
        }
        if words.isEmpty || words == ["--help"] || words == ["help"] || words == ["-h"] {
            printHelp()
            return words.isEmpty ? .usage : .success
        }

        guard let command = commands.filter({ words.starts(with: $0.path) }).max(by: { $0.path.count < $1.path.count }) else {
            let group = commands.filter { $0.path.first == words.first }
            if !group.isEmpty && (words.count == 1 || words[1] == "--help" || words[1] == "-h") {
                print("\(words[0]) commands:\n" + group.map { "  \($0.usage)\n      \($0.summary)" }.joined(separator: "\n"))
                return words.count == 1 ? .usage : .success
            }
            reportError("unknown command '\(words.prefix(2).joined(separator: " "))'; run `xapi-git --help` for the list")
            return .usage
        }

        let rest = leadingOptions + Array(words.dropFirst(command.path.count))
        if rest.contains("--help") || rest.contains("-h") {
            print("usage: \(command.usage)\n\n\(command.summary)")
            return .success
        }

        do {
            let arguments = try Arguments(
                rest,
                valueOptions: command.valueOptions.union(GlobalOptions.valueOptions),
                flagOptions: command.flagOptions.union(GlobalOptions.flagOptions)
            )
            let global = try GlobalOptions(arguments, environment: environment)
            try await command.run(Invocation(arguments: arguments, global: global, output: Output(json: global.json)))
            return .success
        } catch let exit as CommandExit {
            if let message = exit.message {
                reportError(message)
            }
            return exit.code
        } catch let error as UsageError {
            reportError("\(error.message)\nusage: \(command.usage)")
            return .usage
        } catch let error as ConnectorError {
            reportError(error.message)
            return ExitCode(error.kind)
        } catch {
            reportError(String(describing: error))
            return .failure
        }
    }

    /// Splits global options written before the command (`xapi-git --home DIR integration list`) from the
    /// rest, so that they can be parsed with the command's own options.
    static func splitLeadingGlobalOptions(_ words: [String]) -> (options: [String], rest: [String]) {
        var options: [String] = []
        var index = 0
        while index < words.count, words[index].hasPrefix("--") {
            let word = words[index]
            let name = String(word.dropFirst(2).split(separator: "=", maxSplits: 1).first ?? "")
            if GlobalOptions.flagOptions.contains(name) {
                options.append(word)
                index += 1
            } else if GlobalOptions.valueOptions.contains(name) {
                options.append(word)
                index += 1
                if !word.contains("="), index < words.count {
                    options.append(words[index])
                    index += 1
                }
            } else {
                break
            }
        }
        return (options, Array(words[index...]))
    }

    func reportError(_ message: String) {
        FileHandle.standardError.write(Data("xapi-git: error: \(message)\n".utf8))
    }

    func printHelp() {
        var text = """
            xapi-git: keep API descriptions in GitHub, GitLab and Bitbucket repositories.

            usage: xapi-git COMMAND [OPTIONS]

            commands:

            """
        for command in commands {
            text += "  \(command.usage)\n      \(command.summary)\n"
        }
        text += """

            global options:
              --home DIR      where the store and mirrors live (XAPI_GIT_HOME; default ~/.local/share/xapi-git)
              --as USER       the acting member (XAPI_GIT_USER)
              --ca-file PEM   an extra trusted CA for API calls and Git pushes (XAPI_GIT_CA_FILE)
              --timeout SEC   maximum seconds for one network operation (default 60)
              --json          print results as JSON
              --verbose       log debug messages to stderr

            Tokens are read with --token-stdin or --token-env VAR, never from the command line.
            """
        print(text)
    }
}
