import CCurl

/// The report of a transfer that did not complete, with the facts needed to explain it: libcurl's
/// result code and error text, how far the connection got, and which limit a callback enforced.
struct TransferFailure: Sendable {
    /// The `CURLcode` returned by `curl_easy_perform`.
    var curlCode: Int
    /// libcurl's error buffer (`CURLOPT_ERRORBUFFER`), or its generic text for the code when empty.
    var detail: String
    /// The status of a proxy's response to `CONNECT` (`CURLINFO_HTTP_CONNECTCODE`), 0 without a proxy.
    var proxyConnectStatus: Int
    /// Whether the connection was set up, TLS handshake included, before the failure.
    var connectionEstablished: Bool
    /// The size limit at which a callback stopped the transfer.
    var exceededLimit: ResponseCollector.Limit?
    /// The body size limit, also given to libcurl as `CURLOPT_MAXFILESIZE_LARGE`.
    var maxBodyBytes: Int
    /// Whether the progress callback stopped the transfer because the task was cancelled.
    var cancelled: Bool
    /// The timeouts the transfer ran with, in milliseconds, for the message of a timeout.
    var connectTimeoutMilliseconds: Int64
    var totalTimeoutMilliseconds: Int64
    /// The result of the server certificate's verification (`CURLINFO_SSL_VERIFYRESULT`), 0 when it passed
    /// or never ran.
    var certificateVerifyResult: Int = 0
}

/// Values of `CURLINFO_SSL_VERIFYRESULT` that this file explains.
enum CertificateVerifyResult {
    /// OpenSSL's `X509_V_ERR_CERT_NOT_YET_VALID`.
    static let notYetValid = 9
    /// OpenSSL's `X509_V_ERR_CERT_HAS_EXPIRED`.
    static let expired = 10
    /// What libcurl 7.88.1 with OpenSSL 3.0 reports when its own host name check fails.
    // NOTE: other libcurl builds may report another value for a host name mismatch; the message then falls
    // back to the untrusted-certificate text, which still carries libcurl's detail.
    static let hostNameMismatch = 1
}

/// libcurl result codes that this file maps, by their names in curl.h (libcurl 7.88).
enum CurlCode {
    static let unsupportedProtocol = 1
    static let malformedURL = 3
    static let couldNotResolveProxy = 5
    static let couldNotResolveHost = 6
    static let couldNotConnect = 7
    static let weirdServerReply = 8
    static let http2Framing = 16
    static let partialFile = 18
    static let writeError = 23
    static let outOfMemory = 27
    static let operationTimedOut = 28
    static let sslConnectError = 35
    static let abortedByCallback = 42
    static let tooManyRedirects = 47
    static let obsoletePeerVerification = 51
    static let gotNothing = 52
    static let sendError = 55
    static let receiveError = 56
    static let sslCertificateProblem = 58
    static let peerFailedVerification = 60
    static let fileSizeExceeded = 63
    static let sslCACertificateBadFile = 77
    static let sslIssuerError = 83
    static let sslPinnedPublicKeyMismatch = 90
    static let sslInvalidCertificateStatus = 91
    static let http2Stream = 92
    static let proxyHandshake = 97
}

extension HTTPError {
    /// Explains a failed transfer to `url`: what failed, on which host, and what to do about it.
    init(transferFailure failure: TransferFailure, url: RequestURL, caFile: String?) {
        let host = url.host
        let detail = failure.detail

        // Limits enforced by our own callbacks come first: libcurl reports them only as a write error.
        if let limit = failure.exceededLimit {
            self.init(tooLarge: limit, host: host, curlCode: failure.curlCode)
            return
        }

        switch failure.curlCode {
        case CurlCode.operationTimedOut:
            let message: String
            if failure.connectionEstablished {
                message =
                    "the response from \(host) did not arrive within "
                    + "\(Self.seconds(failure.totalTimeoutMilliseconds)) (\(detail)); "
                    + "retry later or raise the operation timeout"
            } else {
                let limit = min(failure.connectTimeoutMilliseconds, failure.totalTimeoutMilliseconds)
                message =
                    "connecting to \(host):\(url.port) timed out after \(Self.seconds(limit)) (\(detail)); "
                    + "check that the server is up and reachable, or raise the connect timeout"
            }
            self.init(kind: .timedOut, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.peerFailedVerification
        where failure.certificateVerifyResult == CertificateVerifyResult.notYetValid:
            let message = "the certificate of \(host) is not valid yet (\(detail)); check this machine's clock"
            self.init(kind: .tlsFailure, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.peerFailedVerification where failure.certificateVerifyResult == CertificateVerifyResult.expired:
            let message =
                "the certificate of \(host) has expired (\(detail)); "
                + "the server's administrator must renew it, or check this machine's clock"
            self.init(kind: .tlsFailure, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.peerFailedVerification
        where failure.certificateVerifyResult == CertificateVerifyResult.hostNameMismatch:
            let message =
                "the certificate of \(host) does not name that host (\(detail)); "
                + "use a base URL with a host name that the certificate names"
            self.init(kind: .tlsFailure, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.peerFailedVerification, CurlCode.obsoletePeerVerification, CurlCode.sslIssuerError:
            let message =
                "the certificate of \(host) is not trusted (\(detail)); "
                + "pass its CA with --ca-file or XAPI_GIT_CA_FILE"
            self.init(kind: .tlsFailure, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.sslCACertificateBadFile:
            let file = caFile.map { "\"\($0)\"" } ?? "(the system default)"
            let message =
                "the CA file \(file) could not be read while connecting to \(host) (\(detail)); "
                + "pass a readable PEM file with --ca-file or XAPI_GIT_CA_FILE"
            self.init(kind: .tlsFailure, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.sslConnectError, CurlCode.sslCertificateProblem, CurlCode.sslPinnedPublicKeyMismatch,
            CurlCode.sslInvalidCertificateStatus:
            let message =
                "the TLS handshake with \(host) failed (\(detail)); "
                + "check that \(host):\(url.port) serves https and that its certificate is valid"
            self.init(kind: .tlsFailure, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.receiveError where failure.proxyConnectStatus == 407,
            CurlCode.proxyHandshake where failure.proxyConnectStatus == 407:
            let message =
                "the proxy in front of \(host) requires authentication (its response to CONNECT was 407); "
                + "put the proxy credentials in the https_proxy URL or use a proxy that does not need them"
            self.init(kind: .proxyAuthenticationRequired, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.couldNotResolveHost:
            let message =
                "the host name \(host) could not be resolved (\(detail)); "
                + "check the URL and the network or proxy settings"
            self.init(kind: .unreachable, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.couldNotResolveProxy:
            let message =
                "the proxy for \(host) could not be resolved (\(detail)); "
                + "check the https_proxy, http_proxy and no_proxy environment variables"
            self.init(kind: .unreachable, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.couldNotConnect:
            let message =
                "could not connect to \(host):\(url.port) (\(detail)); "
                + "check that the server is running and that the URL's host and port are right"
            self.init(kind: .unreachable, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.gotNothing:
            let message =
                "\(host) closed the connection without sending a response; retry, and check the "
                + "server's logs if it keeps happening"
            self.init(kind: .unreachable, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.sendError, CurlCode.receiveError:
            let message =
                "the connection to \(host) broke during the request (\(detail)); "
                + "retry, and check the network or proxy if it keeps happening"
            self.init(kind: .unreachable, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.partialFile:
            let message =
                "the response from \(host) was cut short: the connection closed before the whole "
                + "body arrived (\(detail)); retry, and check the server or any proxy in between "
                + "if it keeps happening"
            self.init(kind: .transport, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.outOfMemory where failure.connectionEstablished:
            // libcurl 7.88 reports a response header line longer than CURL_MAX_HTTP_HEADER as out of memory,
            // with no other detail. Other allocations of a transfer are small, so this is the likely cause.
            self.init(tooLarge: .headerLine(max: Int(CURL_MAX_HTTP_HEADER)), host: host, curlCode: failure.curlCode)

        case CurlCode.fileSizeExceeded:
            self.init(tooLarge: .body(max: failure.maxBodyBytes), host: host, curlCode: failure.curlCode)

        case CurlCode.unsupportedProtocol where !failure.connectionEstablished, CurlCode.malformedURL:
            // The request URL passed RequestURL's checks, so what libcurl rejects here is usually a proxy URL.
            let message =
                "libcurl rejected the URL for \(host) or its proxy URL (\(detail)); "
                + "check the URL and the https_proxy and http_proxy environment variables"
            self.init(kind: .invalidURL, host: host, message: message, curlCode: failure.curlCode)

        case CurlCode.unsupportedProtocol, CurlCode.weirdServerReply, CurlCode.http2Framing, CurlCode.http2Stream:
            // After the request went out, code 1 means the reply was not HTTP/1.x or HTTP/2 (such as HTTP/0.9).
            let message =
                "\(host) sent a response that is not valid HTTP (\(detail)); "
                + "check that the URL points at the platform's API"
            self.init(kind: .transport, host: host, message: message, curlCode: failure.curlCode)

        default:
            let message = "the request to \(host) failed with libcurl error \(failure.curlCode) (\(detail))"
            self.init(kind: .transport, host: host, message: message, curlCode: failure.curlCode)
        }
    }

    /// Creates a `.responseTooLarge` error for the limit that the response exceeded.
    init(tooLarge limit: ResponseCollector.Limit, host: String, curlCode: Int?) {
        let message: String
        switch limit {
        case .headers(let max):
            message =
                "the response headers from \(host) exceeded the limit of \(max) bytes, so the transfer "
                + "was stopped; check that the URL points at the platform's API"
        case .headerLine(let max):
            message =
                "a response header line from \(host) exceeded libcurl's limit of \(max) bytes per line, so the "
                + "transfer was stopped; check that the URL points at the platform's API"
        case .body(let max):
            message =
                "the response body from \(host) exceeded the limit of \(max) bytes, so the transfer "
                + "was stopped; raise the maximum response size if this response is expected"
        }
        self.init(kind: .responseTooLarge, host: host, message: message, curlCode: curlCode)
    }

    /// Formats milliseconds as seconds for a message, such as "2 s" or "1.5 s".
    static func seconds(_ milliseconds: Int64) -> String {
        if milliseconds % 1000 == 0 {
            return "\(milliseconds / 1000) s"
        }
        let tenths = (milliseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
