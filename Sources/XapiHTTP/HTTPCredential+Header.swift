extension HTTPCredential {
    /// The header name this credential is sent in, lower-cased for comparison.
    var headerName: String {
        switch self {
        case .bearer, .tokenScheme, .basic:
            return "authorization"
        case .header(let name, _):
            return name.lowercased()
        }
    }

    /// Builds the `Name: value` header line that carries the credential.
    ///
    /// This is the one place where the secret is revealed. Call it right before the transfer, and drop
    /// the result as soon as libcurl has copied it.
    func headerLine() -> String {
        switch self {
        case .bearer(let token):
            return "Authorization: Bearer \(token.revealed())"
        case .tokenScheme(let token):
            return "Authorization: token \(token.revealed())"
        case .basic(let username, let password):
            let pair = Array(username.utf8) + [UInt8(ascii: ":")] + password.revealedBytes()
            return "Authorization: Basic \(Base64.encode(pair))"
        case .header(let name, let value):
            return "\(name): \(value.revealed())"
        }
    }

    /// Whether the credential can go into a header line as it is: a valid header name and no control
    /// characters in the secret, so that a pasted token cannot add or split header lines.
    var isHeaderSafe: Bool {
        switch self {
        case .bearer(let token), .tokenScheme(let token):
            return HeaderField.isValidValue(token.revealedBytes())
        case .basic(let username, let password):
            return HeaderField.isValidValue(Array(username.utf8)) && !username.contains(":")
                && HeaderField.isValidValue(password.revealedBytes())
        case .header(let name, let value):
            return HeaderField.isValidName(name) && HeaderField.isValidValue(value.revealedBytes())
        }
    }
}

/// Standard base64 (RFC 4648, with padding), for HTTP Basic authentication.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)

        var index = 0
        while index < bytes.count {
            let first = bytes[index]
            let second = index + 1 < bytes.count ? bytes[index + 1] : 0
            let third = index + 2 < bytes.count ? bytes[index + 2] : 0
            let group = UInt32(first) << 16 | UInt32(second) << 8 | UInt32(third)

            output.append(alphabet[Int(group >> 18 & 0x3F)])
            output.append(alphabet[Int(group >> 12 & 0x3F)])
            output.append(index + 1 < bytes.count ? alphabet[Int(group >> 6 & 0x3F)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? alphabet[Int(group & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }

        return String(decoding: output, as: UTF8.self)
    }
}

/// Syntax checks for request header fields (RFC 9110, section 5).
enum HeaderField {
    /// Checks that `name` is a non-empty token: letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isValidName(_ name: String) -> Bool {
        let extra = Set("!#$%&'*+-.^_`|~".utf8)
        return !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || extra.contains(byte)
            }
    }

    /// Checks that `value` has no control characters other than horizontal tab, so it stays on one line.
    static func isValidValue(_ value: [UInt8]) -> Bool {
        value.allSatisfy { byte in byte == 0x09 || (byte >= 0x20 && byte != 0x7F) }
    }
}
