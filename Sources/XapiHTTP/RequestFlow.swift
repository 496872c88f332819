import XapiCore

/// The steps of a request that `HTTPClient` and `MultiplexedHTTPClient` share: the header checks, the
/// redirect loop, the time left for each hop, and the translation of a transfer's outcome.
///
/// Each client supplies only the transfer of one hop, so both apply the same redirect rules, size limits
/// and timeouts.
enum RequestFlow {
    /// Limit on the total size of response headers, in bytes, to stop a server that never ends them.
    static let maxHeaderBytes = 256 << 10

    /// Sends `request` hop by hop through `transfer`, follows redirects, and returns the final response.
    ///
    /// The whole call, redirects included, is bounded by `settings.operationTimeout`; `transfer` receives
    /// the deadline and must not run past it.
    static func send(
        _ request: HTTPRequest,
        settings: NetworkSettings,
        log: Log,
        transfer: (Hop, ContinuousClock.Instant) async throws -> TransferResponse
    ) async throws -> HTTPResponse {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: settings.operationTimeout)

        let originalURL = try RequestURL(validating: request.url)
        try checkFields(of: request, host: originalURL.host)

        var hop = Hop(
            method: request.method,
            url: originalURL,
            headers: request.headers,
            credential: request.credential,
            body: request.body
        )
        var redirectsFollowed = 0

        while true {
            let response = try await transfer(hop, deadline)

            guard RedirectRule.isFollowed(response.status), let location = response.redirectURL else {
                return HTTPResponse(
                    status: response.status,
                    headers: response.headers,
                    body: response.body,
                    url: hop.url.text
                )
            }
            guard redirectsFollowed < HTTPClient.maxRedirects else {
                throw HTTPError(
                    kind: .tooManyRedirects,
                    host: hop.url.host,
                    message: "the request to \(originalURL.host) was redirected more than \(HTTPClient.maxRedirects) "
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

    /// Builds the transfer of `hop` with the timeouts cut to what is left before `deadline`.
    ///
    /// - Throws: `HTTPError` of kind `.timedOut` when no time is left.
    static func transferRequest(
        for hop: Hop,
        settings: NetworkSettings,
        deadline: ContinuousClock.Instant,
        proxy: String?
    ) throws(HTTPError) -> TransferRequest {
        let remaining = ContinuousClock.now.duration(to: deadline)
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

        return TransferRequest(
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
            maxHeaderBytes: maxHeaderBytes,
            proxy: proxy
        )
    }

    /// Returns the response of a completed transfer, or throws the error that explains a failed one.
    ///
    /// - Throws: `CancellationError` when the task's cancellation stopped the transfer, else `HTTPError`.
    static func response(
        from outcome: TransferOutcome,
        hop: Hop,
        settings: NetworkSettings,
        log: Log
    ) throws -> TransferResponse {
        switch outcome {
        case .completed(let response):
            log.debug(
                "HTTP response received",
                ["method": hop.method, "host": hop.url.host, "status": String(response.status)]
            )
            return response

        case .failed(let failure):
            if failure.cancelled {
                throw CancellationError()
            }
            log.debug(
                "HTTP request failed",
                ["method": hop.method, "host": hop.url.host, "curlCode": String(failure.curlCode)]
            )
            throw HTTPError(transferFailure: failure, url: hop.url, caFile: settings.caFile)
        }
    }

    /// Rejects a method, header or credential that would break the request's header lines.
    static func checkFields(of request: HTTPRequest, host: String) throws(HTTPError) {
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
