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
        try await RequestFlow.send(request, settings: settings, log: log) { hop, deadline in
            try await transfer(hop, deadline: deadline)
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
    private func transfer(_ hop: Hop, deadline: ContinuousClock.Instant) async throws -> TransferResponse {
        try Task.checkCancellation()
        let handle = try await pool.acquire()
        defer { pool.release(handle) }
        try Task.checkCancellation()

        let transferRequest = try RequestFlow.transferRequest(
            for: hop,
            settings: settings,
            deadline: deadline,
            proxy: proxy
        )

        let cancellation = CancellationFlag()
        let outcome = await withTaskCancellationHandler {
            await handle.perform(transferRequest, cancellation: cancellation)
        } onCancel: {
            cancellation.raise()
        }

        let response = try RequestFlow.response(from: outcome, hop: hop, settings: settings, log: log)
        openedConnections.add(response.newConnections, ordering: .relaxed)
        return response
    }
}
