/// The words of one command line after the command path, split into options and positional values.
///
/// Options are declared per command, so a misspelt option is an error instead of a positional value.
/// `--name value` and `--name=value` are both accepted; repeatable options keep every value.
struct Arguments: Sendable {
    private(set) var positionals: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// Parses `words` against the options a command accepts.
    ///
    /// - Parameters:
    ///   - valueOptions: option names (without `--`) that take a value.
    ///   - flagOptions: option names that take no value.
    init(_ words: [String], valueOptions: Set<String>, flagOptions: Set<String>) throws(UsageError) {
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1

            guard word.hasPrefix("--"), word.count > 2 else {
                positionals.append(word)
                continue
            }

            var name = String(word.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }

            if flagOptions.contains(name) {
                guard inlineValue == nil else { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
            } else if valueOptions.contains(name) {
                if let inlineValue {
                    values[name, default: []].append(inlineValue)
                } else {
                    guard index < words.count else { throw UsageError("--\(name) needs a value") }
                    values[name, default: []].append(words[index])
                    index += 1
                }
            } else {
                throw UsageError("unknown option --\(name)")
            }
        }
    }

    /// Returns the last value given for `name`, or nil.
    func value(_ name: String) -> String? { values[name]?.last }

    /// Returns every value given for `name`, in order.
    func allValues(_ name: String) -> [String] { values[name] ?? [] }

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// Returns the value of a required option, or throws a usage error naming it.
    func required(_ name: String) throws(UsageError) -> String {
        guard let value = value(name), !value.isEmpty else { throw UsageError("missing --\(name)") }
        return value
    }

    /// Returns the single positional value a command takes, or throws a usage error naming the expected value.
    func single(_ what: String) throws(UsageError) -> String {
        guard positionals.count == 1 else {
            throw UsageError(positionals.isEmpty ? "missing \(what)" : "expected one \(what), got \(positionals.count) values")
        }
        return positionals[0]
    }
}

/// A command line that does not parse; exits with code 64 and the command's usage.
struct UsageError: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
