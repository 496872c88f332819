/// A platform server's base URL after validation, such as `https://ghe.example.com` or
/// `https://git.example.com/bitbucket`.
///
/// Validation rejects what would leak a token or send it in the clear: user-info (`https://user:token@host`),
/// a query or fragment, and plain `http` to any host but the loopback interface. A trailing `/` is dropped so
/// that adapters can append API paths.
public struct BaseURL: Sendable, Hashable, CustomStringConvertible {
    /// `https`, or `http` for a loopback host.
    public let scheme: String
    /// The host in lower case; an IPv6 literal keeps its brackets.
    public let host: String
    public let port: Int?
    /// The path below the host without a trailing `/`, or the empty string.
    public let path: String

    /// Parses and validates `text`.
    ///
    /// - Throws: `PlatformError` of kind `invalidBaseURL`. Its message never repeats user-info or a query,
    ///   since either may hold a token.
    public init(validating text: String) throws(PlatformError) {
        let trimmed = text.trimmingWhitespaceAndNewlines()
        guard !trimmed.isEmpty else {
            throw Self.invalid("The base URL is empty; give the server's address, such as https://git.example.com.")
        }

        // Split scheme, authority and the rest before anything is echoed, so user-info is found first.
        let schemeEnd = trimmed.range(of: "://")
        let afterScheme = schemeEnd.map { String(trimmed[$0.upperBound...]) } ?? trimmed
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = String(afterScheme[..<authorityEnd])
        let rest = String(afterScheme[authorityEnd...])

        if let at = authority.lastIndex(of: "@") {
            let hostPart = authority[authority.index(after: at)...]
            throw Self.invalid(
                "The base URL for host `\(hostPart)` contains a user name or token before `@`; remove it from the "
                    + "URL and pass the token with --token-stdin or --token-env instead."
            )
        }

        guard let schemeEnd else {
            let shown = Self.withoutQuery(trimmed)
            throw Self.invalid("The base URL `\(shown)` has no scheme; write it as https://\(shown).")
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()

        if let queryStart = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            let shown = scheme + "://" + authority + rest[..<queryStart]
            throw Self.invalid(
                "The base URL `\(shown)` is followed by a query or fragment (`?` or `#`); give only the server's "
                    + "address and path."
            )
        }

        let shown = scheme + "://" + authority + rest
        let isSpaceOrControl = { (scalar: Unicode.Scalar) in
            scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F
        }
        if let bad = shown.unicodeScalars.first(where: isSpaceOrControl) {
            let code = String(bad.value, radix: 16, uppercase: true)
            throw Self.invalid("The base URL `\(shown)` contains the character U+\(code); remove it.")
        }

        let (host, port) = try Self.parseAuthority(authority, in: shown)
        let path = try Self.parsePath(rest, in: shown)

        switch scheme {
        case "https":
            break
        case "http":
            guard Self.isLoopback(host) else {
                throw Self.invalid(
                    "The base URL `\(shown)` uses plain http, which would send the token unencrypted; use https "
                        + "(plain http is accepted only for localhost, 127.0.0.1 and [::1])."
                )
            }
        default:
            throw Self.invalid("The base URL `\(shown)` has the scheme `\(scheme)`; use https.")
        }

        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
    }

    /// The URL as text, without a trailing `/`: `https://host[:port][/path]`.
    public var description: String {
        let portSuffix = port.map { ":\($0)" } ?? ""
        return scheme + "://" + host + portSuffix + path
    }

    /// Whether the host is the loopback interface: `localhost`, `127.0.0.0/8` or `[::1]`.
    public var isLoopback: Bool { Self.isLoopback(host) }

    /// Returns the same server with another path, for sibling hosts such as GitHub's API host.
    func replacingPath(_ newPath: String) -> BaseURL {
        BaseURL(scheme: scheme, host: host, port: port, path: newPath)
    }

    /// Creates a URL from parts that are known to be valid, such as a public service's address.
    init(scheme: String, host: String, port: Int?, path: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
    }

    private static func invalid(_ message: String) -> PlatformError {
        PlatformError(kind: .invalidBaseURL, message: message)
    }

    private static func withoutQuery(_ text: String) -> Substring {
        text[..<(text.firstIndex { $0 == "?" || $0 == "#" } ?? text.endIndex)]
    }

    /// Returns whether `host` is one of the loopback names that the HTTP transport also accepts plain http for.
    private static func isLoopback(_ host: String) -> Bool {
        ["localhost", "127.0.0.1", "[::1]"].contains(host)
    }

    /// Splits `host[:port]`, where the host is a DNS name, an IPv4 address or a bracketed IPv6 address.
    private static func parseAuthority(
        _ authority: String,
        in shown: String
    ) throws(PlatformError) -> (String, Int?) {
        var hostText = Substring(authority)
        var portText: Substring?

        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw invalid("The base URL `\(shown)` has an IPv6 address without a closing `]`.")
            }
            hostText = authority[...close]
            let afterHost = authority[authority.index(after: close)...]
            if !afterHost.isEmpty {
                guard afterHost.first == ":" else {
                    throw invalid("The base URL `\(shown)` has unexpected text after the IPv6 address.")
                }
                portText = afterHost.dropFirst()
            }
            let inner = hostText.dropFirst().dropLast()
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw invalid("The base URL `\(shown)` has a malformed IPv6 address `\(hostText)`.")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostText = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }

        guard !hostText.isEmpty else {
            throw invalid("The base URL `\(shown)` has no host; write it as https://HOST.")
        }
        let hostAllowed = hostText.hasPrefix("[")
            || hostText.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        guard hostAllowed, !hostText.hasPrefix("."), !hostText.hasPrefix("-") else {
            throw invalid(
                "The base URL `\(shown)` has the malformed host `\(hostText)`; a host has letters, digits, `-` "
                    + "and `.` (write internationalized names in their xn-- form)."
            )
        }

        var port: Int?
        if let portText {
            guard let value = Int(portText), portText.allSatisfy(\.isASCII), (1...65535).contains(value) else {
                throw invalid(
                    "The base URL `\(shown)` has the port `\(portText)`; a port is a number from 1 to 65535."
                )
            }
            port = value
        }
        return (hostText.lowercased(), port)
    }

    /// Checks the path's characters and drops trailing slashes.
    private static func parsePath(_ rest: String, in shown: String) throws(PlatformError) -> String {
        var path = Substring(rest)
        while path.hasSuffix("/") {
            path = path.dropLast()
        }
        let allowedPunctuation: Set<Character> = [
            "/", "-", ".", "_", "~", "%", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@",
        ]
        let isAllowed = { (character: Character) in
            (character.isASCII && (character.isLetter || character.isNumber)) || allowedPunctuation.contains(character)
        }
        if let bad = path.first(where: { !isAllowed($0) }) {
            throw invalid("The base URL `\(shown)` has the character `\(bad)` in its path; percent-encode it.")
        }
        return String(path)
    }
}
