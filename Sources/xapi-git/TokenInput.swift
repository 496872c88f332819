import Foundation
import XapiCore
import XapiPlatforms

/// Reads a token from standard input or from a named environment variable, never from the command
/// line, where other users of the machine could see it in the process list.
enum TokenInput {
    static let valueOptions: Set<String> = ["token-env", "token", "credential", "email", "username"]
    static let flagOptions: Set<String> = ["token-stdin"]

    static func read(_ arguments: Arguments, environment: [String: String]) throws(UsageError) -> Secret {
        if arguments.value("token") != nil {
            throw UsageError(
                "a token is never accepted as a command-line argument; pipe it with --token-stdin or name a variable with --token-env VAR"
            )
        }

        switch (arguments.has("token-stdin"), arguments.value("token-env")) {
        case (true, nil):
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let secret = Secret(trimming: String(decoding: data, as: UTF8.self)) else {
                throw UsageError("--token-stdin read no token from standard input")
            }
            return try checked(secret, source: "standard input")
        case (false, let variable?):
            guard let value = environment[variable], let secret = Secret(trimming: value) else {
                throw UsageError("the environment variable \(variable) named by --token-env is not set or empty")
            }
            return try checked(secret, source: "the environment variable \(variable)")
        case (true, _?):
            throw UsageError("pass the token either with --token-stdin or with --token-env VAR, not both")
        case (false, nil):
            throw UsageError("missing token: pipe it with --token-stdin or name a variable with --token-env VAR")
        }
    }

    /// Throws unless the token is a single line of printable characters: a line break, NUL or other
    /// control character means several values or a pasting mistake, and no platform issues such tokens.
    static func checked(_ secret: Secret, source: String) throws(UsageError) -> Secret {
        let printable = secret.revealedBytes().allSatisfy { $0 >= 0x20 && $0 != 0x7F }
        guard printable else {
            throw UsageError(
                "the token read from \(source) contains a line break or another control character; pass exactly one "
                    + "token on one line"
            )
        }
        return secret
    }

    /// Returns the credential kind chosen with `--credential`, `--email` and `--username`, or nil when none was
    /// given (the platform's default kind).
    static func kind(_ arguments: Arguments, platform: Platform) throws(UsageError) -> CredentialKind? {
        guard let choice = arguments.value("credential") else {
            if platform == .bitbucket {
                throw UsageError("Bitbucket Cloud needs --credential api-token (with --email), access-token or app-password (with --username)")
            }
            return nil
        }

        switch (platform, choice) {
        case (.bitbucket, "api-token"):
            guard let email = arguments.value("email"), email.contains("@") else {
                throw UsageError("--credential api-token needs --email with the Atlassian account's e-mail address")
            }
            return .bitbucketAPIToken(email: email)
        case (.bitbucket, "access-token"):
            return .bitbucketAccessToken
        case (.bitbucket, "app-password"):
            guard let username = arguments.value("username") else {
                throw UsageError("--credential app-password needs --username with the Bitbucket username")
            }
            guard !username.contains("@") else {
                throw UsageError("'\(username)' is an e-mail address; app passwords log in with the Bitbucket username (Settings > Personal settings)")
            }
            return .bitbucketAppPassword(username: username)
        case (.bitbucketDataCenter, "personal"), (.github, "access-token"), (.gitlab, "access-token"),
            (.bitbucketDataCenter, "access-token"):
            return .accessToken
        case (.bitbucketDataCenter, "project-token"), (.bitbucketDataCenter, "repository-token"):
            return .dataCenterBearerToken
        default:
            let kinds: String
            switch platform {
            case .bitbucket: kinds = "api-token (with --email), access-token, app-password (with --username)"
            case .bitbucketDataCenter: kinds = "personal, project-token, repository-token"
            case .github, .gitlab: kinds = "access-token, or none"
            }
            throw UsageError("--credential '\(choice)' does not apply to \(platform.displayName); use \(kinds)")
        }
    }
}

/// Asks the person at the terminal to accept a review.
enum Confirmation {
    /// Returns whether the person typed yes at the controlling terminal, or nil when there is no terminal.
    static func ask(_ question: String) -> Bool? {
        guard let terminal = FileHandle(forUpdatingAtPath: "/dev/tty") else { return nil }
        defer { try? terminal.close() }
        terminal.write(Data("\(question) [y/N] ".utf8))

        var answer = [UInt8]()
        while true {
            let byte = terminal.readData(ofLength: 1)
            guard let first = byte.first, first != UInt8(ascii: "\n") else { break }
            answer.append(first)
        }
        let text = String(decoding: answer, as: UTF8.self).trimmingWhitespaceAndNewlines().lowercased()
        return text == "y" || text == "yes"
    }
}
