/// How every network call of the process reaches a server: API calls through libcurl and Git
/// transfers alike read these settings, so one CA file and one set of timeouts apply to both.
public struct NetworkSettings: Sendable, Equatable {
    /// A PEM file of extra trusted CA certificates, trusted beside the system's CAs; nil trusts the
    /// system's CAs only. TLS verification itself is never turned off.
    public var caFile: String?

    /// Maximum time to set up a connection, TLS handshake included.
    public var connectTimeout: Duration

    /// Maximum time for one whole request or Git network operation.
    public var operationTimeout: Duration

    /// Largest response body accepted, in bytes; a larger one fails the call.
    public var maxResponseBytes: Int

    /// The `User-Agent` sent with API calls and Git transfers.
    public var userAgent: String

    public init(
        caFile: String? = nil,
        connectTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(60),
        maxResponseBytes: Int = 16 << 20,
        userAgent: String = "xapi-git/0.1"
    ) {
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down, for C APIs that take milliseconds.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
