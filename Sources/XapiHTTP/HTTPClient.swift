import Synchronization
public import XapiCore

/// Sends HTTP requests to the platforms' APIs over libcurl, with TLS verification always on.
///
/// The client follows redirects itself (at most `maxRedirects`) and sends the request's credential
/// only to the origin (scheme, host and port) of the original URL. It accepts https URLs, and plain
/// http only for localhost, 127.0.0.1 and ::1. Proxies come from libcurl's reading of the
/// `https_proxy`, `http_proxy` and `no_proxy` environment variables.
///
/// Concurrent `send` calls share a few libcurl handles, each confined to its own serial queue, so no
/// blocking libcurl call runs on Swift's cooperative thread pool.
public final class HTTPClient: HTTPTransport {
    /// Redirects followed per request; one more fails with `.tooManyRedirects`.
    public static let maxRedirects = 5

    /// Limit on the total size of response headers, in bytes, to stop a server that never ends them.
    static let maxHeaderBytes = 256 << 10

    /// Easy handles per client, each with its own thread and connection cache. With several, one stalled
    /// server holds up one handle, not every request of the client.
    static let handleCount = 4

    public let settings: NetworkSettings
    private let log: Log
    private let pool: HandlePool
    /// A proxy URL that overrides the environment, for tests that run their own proxy.
    private let proxy: String?
    private let openedConnections = Atomic<Int>(0)

    public init(settings: NetworkSettings, log: Log = .silent) {
        self.settings = settings
        self.log = log
        self.pool = HandlePool(capacity: Self.handleCount)
        self.proxy = nil
    }

    /// Creates a client that sends everything through `proxy`, instead of the environment's proxy settings.
    init(settings: NetworkSettings, log: Log = .silent, proxy: String) {
        self.settings = settings
        self.log = log
        self.pool = HandlePool(capacity: Self.handleCount)
        self.proxy = proxy
    }

    /// Connections this client has opened so far (libcurl's `CURLINFO_NUM_CONNECTS`, summed over completed
    /// transfers); a request that reuses a cached connection adds nothing.
    public var connectionsOpened: Int { openedConnections.load(ordering: .relaxed) }

    /// Sends `request`, follows redirects, and returns the final response, whatever its status.
    ///
    /// The whole call, redirects and the wait for a free handle included, is bounded by
    /// `settings.operationTimeout`.
    ///
    /// - Throws: `HTTPError` when no complete response arrived. `CancellationError` when the calling
    ///   task was cancelled. Cancellation also stops a transfer in progress within about a second.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: settings.operationTimeout)

        let originalURL = try RequestURL(validating: request.url)
        try Self.checkFields(of: request, host: originalURL.host)

        var hop = Hop(
            method: request.method,
            url: originalURL,
            headers: request.headers,
            credential: request.credential,
            body: request.body
        )
        var redirectsFollowed = 0

        while true {
            let response = try await transfer(hop, deadline: deadline, clock: clock)

            guard RedirectRule.isFollowed(response.status), let location = response.redirectURL else {
                return HTTPResponse(
                    status: response.status,
                    headers: response.headers,
                    body: response.body,
                    url: hop.url.text
                )
            }
            guard redirectsFollowed < Self.maxRedirects else {
                throw HTTPError(
                    kind: .tooManyRedirects,
                    host: hop.url.host,
                    message: "the request to \(originalURL.host) was redirected more than \(Self.maxRedirects) "
                        + "times (last by \(hop.url.host)); check the URL, which may point at a redirect loop"
                )
            }
            redirectsFollowed += 1

            let previousHost = hop.url.host
            hop = try RedirectRule.nextHop(
                after: hop,
                status: response.status,
                location: location,
                originalURL: originalURL,
                log: log
            )
            log.debug(
                "HTTP redirect followed",
                ["status": String(response.status), "from": previousHost, "to": hop.url.host, "method": hop.method]
            )
        }
    }

    /// libcurl's built-in CA directory (`CURLINFO_CAPATH`), which stays trusted beside `settings.caFile`;
    /// nil when the libcurl build has none.
    func builtInCAPath() async throws -> String? {
        let handle = try await pool.acquire()
        defer { pool.release(handle) }
        return await handle.builtInCAPath()
    }

    /// Runs one hop on a free handle, within what is left of the request's time.
    private func transfer(
        _ hop: Hop,
        deadline: ContinuousClock.Instant,
        clock: ContinuousClock
    ) async throws -> TransferResponse {
        try Task.checkCancellation()
        let handle = try await pool.acquire()
        defer { pool.release(handle) }
        try Task.checkCancellation()

        let remaining = clock.now.duration(to: deadline)
        guard remaining > .milliseconds(0) else {
            throw HTTPError(
                kind: .timedOut,
                host: hop.url.host,
                message: "the request to \(hop.url.host) did not finish within the operation timeout of "
                    + "\(HTTPError.seconds(settings.operationTimeout.wholeMilliseconds)); "
                    + "retry later or raise the operation timeout"
            )
        }
        let totalMilliseconds = max(1, remaining.wholeMilliseconds)
        let connectMilliseconds = max(1, min(settings.connectTimeout.wholeMilliseconds, totalMilliseconds))

        let transferRequest = TransferRequest(
            method: hop.method,
            url: hop.url,
            headers: hop.headers,
            credential: hop.credential,
            body: hop.body,
            connectTimeoutMilliseconds: connectMilliseconds,
            totalTimeoutMilliseconds: totalMilliseconds,
            caFile: settings.caFile,
            userAgent: settings.userAgent,
            maxBodyBytes: max(0, settings.maxResponseBytes),
            maxHeaderBytes: Self.maxHeaderBytes,
            proxy: proxy
        )

        let cancellation = CancellationFlag()
        let outcome = await withTaskCancellationHandler {
            await handle.perform(transferRequest, cancellation: cancellation)
        } onCancel: {
            cancellation.raise()
        }

        switch outcome {
        case .completed(let response):
            openedConnections.add(response.newConnections, ordering: .relaxed)
            log.debug(
                "HTTP response received",
                ["method": hop.method, "host": hop.url.host, "status": String(response.status)]
            )
            return response

        case .failed(let failure):
            if failure.cancelled {
                throw CancellationError()
            }
            let error = HTTPError(transferFailure: failure, url: hop.url, caFile: settings.caFile)
            log.debug(
                "HTTP request failed",
                ["method": hop.method, "host": hop.url.host, "curlCode": String(failure.curlCode)]
            )
            throw error
        }
    }

    /// Rejects a method, header or credential that would break the request's header lines.
    private static func checkFields(of request: HTTPRequest, host: String) throws(HTTPError) {
        guard HeaderField.isValidName(request.method) else {
            throw HTTPError(
                kind: .transport,
                host: host,
                message: "the HTTP method \"\(request.method)\" for \(host) is not a valid method name"
            )
        }
        for (name, value) in request.headers {
            guard HeaderField.isValidName(name) else {
                throw HTTPError(
                    kind: .transport,
                    host: host,
                    message: "the request header name \"\(name)\" for \(host) is not valid; "
                        + "use letters, digits and -"
                )
            }
            guard HeaderField.isValidValue(Array(value.utf8)) else {
                throw HTTPError(
                    kind: .transport,
                    host: host,
                    message: "the value of the request header \(name) for \(host) contains a line break "
                        + "or another control character; remove it"
                )
            }
        }
        if let credential = request.credential, !credential.isHeaderSafe {
            throw HTTPError(
                kind: .transport,
                host: host,
                message: "the credential for \(host) contains a line break or another control character "
                    + "(or its header name is not valid); copy the token again without them"
            )
        }
    }
}
