public import XapiCore

/// Sends many HTTP requests at once over libcurl's multi interface, all on one dedicated thread.
///
/// It is the transport for batches such as checking thousands of integrations: concurrent `send` calls
/// become transfers of one multi handle, which reuses connections per host (kept-alive HTTP/1.1
/// connections, or HTTP/2 streams multiplexed over one connection where the server offers it). Redirects,
/// credential handling, TLS verification, size limits and timeouts follow the same rules as `HTTPClient`.
///
/// At most `limits.maxConcurrentTransfers` transfers run at once and at most `limits.maxConnectionsPerHost`
/// to one origin (scheme, host and port); further requests wait in arrival order. The loop thread ends when
/// the client is released.
public final class MultiplexedHTTPClient: HTTPTransport {
    /// How many transfers run at once.
    public struct Limits: Sendable, Equatable {
        /// Transfers running at once over all hosts.
        public var maxConcurrentTransfers: Int
        /// Transfers running at once to one origin (scheme, host and port).
        public var maxConnectionsPerHost: Int

        public init(maxConcurrentTransfers: Int = 64, maxConnectionsPerHost: Int = 64) {
            self.maxConcurrentTransfers = max(1, maxConcurrentTransfers)
            self.maxConnectionsPerHost = max(1, maxConnectionsPerHost)
        }
    }

    public let settings: NetworkSettings
    public let limits: Limits
    private let log: Log
    private let loop: MultiLoop

    public init(settings: NetworkSettings, limits: Limits = Limits(), log: Log = .silent) {
        self.settings = settings
        self.limits = limits
        self.log = log
        self.loop = MultiLoop(
            maxConcurrentTransfers: limits.maxConcurrentTransfers,
            maxConnectionsPerHost: limits.maxConnectionsPerHost,
            label: "xapi-http.multi"
        )
    }

    deinit {
        loop.stop()
    }

    /// Connections this client has opened so far (libcurl's `CURLINFO_NUM_CONNECTS`, summed over completed
    /// transfers); a request that reuses a cached connection adds nothing.
    public var connectionsOpened: Int { loop.connectionsOpened }

    /// Sends `request`, follows redirects, and returns the final response, whatever its status.
    ///
    /// Each hop gets what is left of `settings.operationTimeout` when it is queued, and libcurl counts that
    /// time from the moment the hop leaves the queue; so a call can last its queue wait longer than the
    /// operation timeout.
    ///
    /// - Throws: `HTTPError` when no complete response arrived. `CancellationError` when the calling
    ///   task was cancelled; a queued or running transfer then stops at the loop's next turn.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await RequestFlow.send(request, settings: settings, log: log) { hop, deadline in
            try await transfer(hop, deadline: deadline)
        }
    }

    /// Runs one hop as a transfer of the multi loop.
    private func transfer(_ hop: Hop, deadline: ContinuousClock.Instant) async throws -> TransferResponse {
        try Task.checkCancellation()
        let transferRequest = try RequestFlow.transferRequest(
            for: hop,
            settings: settings,
            deadline: deadline,
            proxy: nil
        )

        let cancellation = CancellationFlag()
        let loop = self.loop
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                loop.enqueue(
                    QueuedTransfer(request: transferRequest, cancellation: cancellation, continuation: continuation)
                )
            }
        } onCancel: {
            cancellation.raise()
            loop.wake()
        }

        return try RequestFlow.response(from: outcome, hop: hop, settings: settings, log: log)
    }
}
