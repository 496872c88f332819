/// A failed HTTP exchange: the request never produced a complete response.
///
/// An HTTP error status such as 401 or 404 is not an `HTTPError`; it arrives as an `HTTPResponse`.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The connection or the whole request took longer than its timeout.
        case timedOut
        /// The TLS handshake failed: untrusted, expired or mismatched certificate.
        case tlsFailure
        /// The host could not be resolved or reached, or it closed the connection.
        case unreachable
        /// A proxy answered 407 and wants credentials.
        case proxyAuthenticationRequired
        /// The response body or headers exceeded the configured maximum size.
        case responseTooLarge
        /// The URL is malformed, not https (outside loopback) or carries user-info.
        case invalidURL
        /// More redirects than the transport follows.
        case tooManyRedirects
        /// Any other transfer failure, such as a response cut short.
        case transport
    }

    public var kind: Kind
    /// The host the request went to, when known.
    public var host: String?
    /// What failed and what to do, without any credential.
    public var message: String
    /// The libcurl result code (`CURLcode`) behind the failure, or nil when the request failed before
    /// libcurl ran, such as for an invalid URL.
    public var curlCode: Int?

    public init(kind: Kind, host: String?, message: String, curlCode: Int? = nil) {
        self.kind = kind
        self.host = host
        self.message = message
        self.curlCode = curlCode
    }

    public var description: String { message }
}

/// Sends HTTP requests. `HTTPClient` is the libcurl implementation; adapters depend on this protocol.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the final response after any redirects.
    ///
    /// Throws `HTTPError` when no complete response arrived, or `CancellationError` when the calling
    /// task was cancelled first.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
