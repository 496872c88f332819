import XapiSync

/// `key rotate`.
enum KeyCommands {
    static let all: [Command] = [
        Command(
            path: ["key", "rotate"],
            usage: "xapi-git key rotate",
            summary: "Re-seal every stored token with a new sealing key (owners only)."
        ) { invocation in
            guard invocation.arguments.positionals.isEmpty else {
                throw UsageError("key rotate takes no values, got '\(invocation.arguments.positionals[0])'")
            }
            let rotation = try await invocation.connector().rotateSealingKey(as: try invocation.actor())
            let output = invocation.output

            if output.json {
                var object: [String: Any] = ["integrations": rotation.integrationCount]
                object["key_file"] = rotation.keyFile
                object["new_key"] = rotation.newKeyBase64
                output.printJSON(object)
                return
            }

            if let keyFile = rotation.keyFile {
                output.line("re-sealed \(rotation.integrationCount) token(s); the new key is in \(keyFile)")
            } else if let newKey = rotation.newKeyBase64 {
                output.line("re-sealed \(rotation.integrationCount) token(s) with a new key.")
                output.line("The key came from XAPI_GIT_KEY, so this is the only time the new key is shown.")
                output.line("Set XAPI_GIT_KEY to it before the next command; the old key no longer opens the tokens:")
                output.line(newKey)
            }
        }
    ]
}
