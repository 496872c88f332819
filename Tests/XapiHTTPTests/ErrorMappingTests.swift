import Testing
@testable import XapiHTTP

/// How libcurl result codes become `HTTPError` kinds and messages.
@Suite struct ErrorMappingTests {
    let url: RequestURL

    init() throws {
        url = try RequestURL(validating: "https://gitlab.example.com:8443/api/v4/user")
    }

    func failure(
        _ code: Int,
        detail: String = "detail from libcurl",
        proxyConnectStatus: Int = 0,
        connectionEstablished: Bool = false,
        exceededLimit: ResponseCollector.Limit? = nil
    ) -> TransferFailure {
        TransferFailure(
            curlCode: code,
            detail: detail,
            proxyConnectStatus: proxyConnectStatus,
            connectionEstablished: connectionEstablished,
            exceededLimit: exceededLimit,
            maxBodyBytes: 4096,
            cancelled: false,
            connectTimeoutMilliseconds: 1500,
            totalTimeoutMilliseconds: 60000
        )
    }

    @Test(arguments: [
        (28, HTTPError.Kind.timedOut),
        (60, .tlsFailure), (35, .tlsFailure), (51, .tlsFailure), (58, .tlsFailure), (77, .tlsFailure),
        (83, .tlsFailure), (90, .tlsFailure), (91, .tlsFailure),
        (6, .unreachable), (7, .unreachable), (52, .unreachable), (55, .unreachable), (56, .unreachable),
        (63, .responseTooLarge),
        (18, .transport), (8, .transport), (16, .transport), (92, .transport), (99, .transport),
        (1, .invalidURL), (3, .invalidURL),
    ])
    func codeMapsToKind(code: Int, kind: HTTPError.Kind) {
        let error = HTTPError(transferFailure: failure(code), url: url, caFile: nil)

        #expect(error.kind == kind)
        #expect(error.curlCode == code)
        #expect(error.host == "gitlab.example.com")
        #expect(error.message.contains("gitlab.example.com"))
    }

    @Test func receiveErrorAfterProxy407IsProxyAuthentication() {
        let error = HTTPError(transferFailure: failure(56, proxyConnectStatus: 407), url: url, caFile: nil)

        #expect(error.kind == .proxyAuthenticationRequired)
        #expect(error.message.contains("407"))
    }

    @Test func unsupportedProtocolAfterRequestIsInvalidReply() {
        let failure = failure(1, detail: "Received HTTP/0.9 when not allowed", connectionEstablished: true)

        let error = HTTPError(transferFailure: failure, url: url, caFile: nil)

        #expect(error.kind == .transport)
        #expect(error.message.contains("not valid HTTP"))
    }

    @Test func outOfMemoryAfterRequestIsHeaderLineLimit() {
        let error = HTTPError(
            transferFailure: failure(27, detail: "Out of memory", connectionEstablished: true),
            url: url,
            caFile: nil
        )

        #expect(error.kind == .responseTooLarge)
        #expect(error.message.contains("102400 bytes per line"))
    }

    @Test func outOfMemoryBeforeRequestIsTransport() {
        let error = HTTPError(transferFailure: failure(27, detail: "Out of memory"), url: url, caFile: nil)

        #expect(error.kind == .transport)
    }

    @Test func untrustedCertificateNamesCAOptions() {
        let error = HTTPError(transferFailure: failure(60), url: url, caFile: nil)

        #expect(error.message.hasPrefix("the certificate of gitlab.example.com is not trusted"))
        #expect(error.message.contains("--ca-file or XAPI_GIT_CA_FILE"))
    }

    @Test func timeoutBeforeConnectionNamesConnectPhase() {
        let error = HTTPError(transferFailure: failure(28), url: url, caFile: nil)

        #expect(error.message.hasPrefix("connecting to gitlab.example.com:8443 timed out after 1.5 s"))
    }

    @Test func timeoutAfterConnectionNamesResponse() {
        let error = HTTPError(transferFailure: failure(28, connectionEstablished: true), url: url, caFile: nil)

        #expect(error.message.hasPrefix("the response from gitlab.example.com did not arrive within 60 s"))
    }

    @Test func callbackLimitWinsOverWriteError() {
        let error = HTTPError(
            transferFailure: failure(23, exceededLimit: .body(max: 4096)),
            url: url,
            caFile: nil
        )

        #expect(error.kind == .responseTooLarge)
        #expect(error.message.contains("4096 bytes"))
    }
}
