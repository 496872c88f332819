import CCurl

/// A request URL that passed the transport's checks: http or https, a host, no user-info, and plain
/// http only towards a loopback host.
///
/// libcurl's own URL parser (`curl_url`) splits the URL, so the transport checks exactly the host and
/// port that libcurl will connect to.
struct RequestURL: Sendable, Equatable {
    /// The URL as libcurl normalised it; this is the text handed to `CURLOPT_URL`.
    let text: String
    /// `https` or `http`, lower-cased.
    let scheme: String
    /// The host name or address, lower-cased; an IPv6 address keeps its brackets.
    let host: String
    /// The port, with the scheme's default filled in.
    let port: Int

    /// Scheme, host and port: two URLs with the same origin may share a credential.
    var origin: String { "\(scheme)://\(host):\(port)" }

    /// Hosts that reach this machine only, the one place where plain http is allowed.
    static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1", "[::1]"]

    /// Parses and checks `text`; throws an `.invalidURL` error that never repeats user-info.
    init(validating text: String) throws(HTTPError) {
        guard let parser = curl_url() else {
            throw HTTPError(
                kind: .transport, host: nil, message: "libcurl could not allocate a URL parser (out of memory)")
        }
        defer { curl_url_cleanup(parser) }

        let setResult = curl_url_set(parser, CURLUPART_URL, text, 0)
        guard setResult == CURLUE_OK else {
            throw HTTPError(
                kind: .invalidURL,
                host: nil,
                message: "the URL \(Self.quotedForMessage(text)) is not valid (\(Self.describe(setResult))); "
                    + "pass an absolute https:// URL"
            )
        }

        let scheme = (Self.part(parser, CURLUPART_SCHEME) ?? "").lowercased()
        let host = (Self.part(parser, CURLUPART_HOST) ?? "").lowercased()
        guard !host.isEmpty else {
            throw HTTPError(
                kind: .invalidURL,
                host: nil,
                message: "the URL \(Self.quotedForMessage(text)) has no host; pass an absolute https:// URL"
            )
        }

        // Credentials in a URL end up in logs, shell history and Git config, so they are rejected outright.
        if Self.part(parser, CURLUPART_USER) != nil || Self.part(parser, CURLUPART_PASSWORD) != nil {
            throw HTTPError(
                kind: .invalidURL,
                host: host,
                message: "the URL for \(host) contains user credentials before the host; "
                    + "remove them from the URL and pass the token with the token option instead"
            )
        }

        switch scheme {
        case "https":
            break
        case "http":
            guard Self.loopbackHosts.contains(host) else {
                throw HTTPError(
                    kind: .invalidURL,
                    host: host,
                    message: "plain http to \(host) is not allowed because the token would travel unencrypted; "
                        + "use an https:// URL (http is accepted only for localhost, 127.0.0.1 and ::1)"
                )
            }
        default:
            throw HTTPError(
                kind: .invalidURL,
                host: host,
                message: "the URL scheme \"\(scheme)\" for \(host) is not supported; use an https:// URL"
            )
        }

        guard let portText = Self.part(parser, CURLUPART_PORT, flags: UInt32(CURLU_DEFAULT_PORT)),
            let port = Int(portText)
        else {
            throw HTTPError(
                kind: .invalidURL,
                host: host,
                message: "the URL for \(host) has no usable port; pass an absolute https:// URL"
            )
        }

        guard let normalized = Self.part(parser, CURLUPART_URL) else {
            throw HTTPError(
                kind: .invalidURL,
                host: host,
                message: "the URL for \(host) could not be normalised by libcurl; pass an absolute https:// URL"
            )
        }

        self.text = normalized
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Returns one component of the parsed URL, or nil when the URL lacks it.
    private static func part(_ parser: OpaquePointer, _ part: CURLUPart, flags: UInt32 = 0) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard curl_url_get(parser, part, &value, flags) == CURLUE_OK, let value else { return nil }
        defer { curl_free(value) }
        return String(validatingCString: value)
    }

    /// Returns libcurl's text for a URL parser result, such as "Malformed input to a URL function".
    private static func describe(_ code: CURLUcode) -> String {
        guard let text = curl_url_strerror(code) else { return "URL error \(code.rawValue)" }
        return String(cString: text)
    }

    /// Quotes the URL for an error message, or returns a placeholder when it might carry a credential.
    private static func quotedForMessage(_ text: String) -> String {
        text.contains("@") ? "(not shown because it contains \"@\")" : "\"\(text)\""
    }
}
