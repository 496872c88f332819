import CCurl

/// The result of `curl_global_init`, run once per process when the first handle is created.
///
/// Swift runs a global's initialiser exactly once and thread-safely, which gives the single call that
/// libcurl requires. This module never calls `curl_global_cleanup`, because other threads may still use libcurl.
let curlGlobalInitResult: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

/// One hop of a request, as the easy handle sends it: no redirect is followed inside a transfer.
struct TransferRequest: Sendable {
    var method: String
    var url: RequestURL
    var headers: [(name: String, value: String)]
    /// Turned into a header line only inside `EasyHandle.perform`, right before the transfer.
    var credential: HTTPCredential?
    var body: [UInt8]?
    var connectTimeoutMilliseconds: Int64
    var totalTimeoutMilliseconds: Int64
    var caFile: String?
    var userAgent: String
    var maxBodyBytes: Int
    var maxHeaderBytes: Int
    /// A proxy URL for `CURLOPT_PROXY`; nil keeps libcurl's own reading of `https_proxy` and friends.
    var proxy: String?
}

/// A complete response to one transfer.
struct TransferResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The absolute target of a redirect response, resolved by libcurl (`CURLINFO_REDIRECT_URL`).
    var redirectURL: String?
    /// Connections libcurl opened for this transfer: 0 when it reused a cached one.
    var newConnections: Int
}

enum TransferOutcome: Sendable {
    case completed(TransferResponse)
    case failed(TransferFailure)
}

/// A libcurl easy handle (`CURL *`) that sends one transfer at a time.
///
/// The handle keeps its connection cache across transfers because `perform` resets only the options
/// (`curl_easy_reset`). It is not thread-safe: its owner runs every call on one serial queue or thread.
final class EasyHandle {
    private let handle: UnsafeMutableRawPointer
    /// libcurl's `CURLOPT_ERRORBUFFER`, which it fills with a readable reason on failure.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The collector of the transfer between `prepare` and `finish`; libcurl's callbacks hold it unretained.
    private var activeCollector: ResponseCollector?
    /// `CURLOPT_HTTPHEADER` of the transfer between `prepare` and `finish`, which libcurl does not copy.
    private var activeHeaderList: UnsafeMutablePointer<curl_slist>?

    /// Creates the handle, or returns nil when libcurl could not initialise or allocate it.
    init?() {
        guard curlGlobalInitResult == CURLE_OK, let handle = curl_easy_init() else { return nil }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(activeHeaderList)
        errorBuffer.deallocate()
    }

    /// Sends `request` and waits for the whole response; blocks the calling thread meanwhile.
    func perform(_ request: TransferRequest, cancellation: CancellationFlag) -> TransferOutcome {
        if let failure = prepare(request, cancellation: cancellation) {
            return .failed(failure)
        }
        // The callbacks hold the collector unretained; `activeCollector` keeps it alive until `finish`.
        let performResult = curl_easy_perform(handle)
        return finish(performResult, request: request, cancellation: cancellation)
    }

    /// Sets every option of `request` and keeps its collector and header list until `finish`, so that
    /// `curl_easy_perform` or a multi handle can run the transfer.
    ///
    /// - Returns: nil when the handle is ready, or the failure of an option that libcurl rejected.
    func prepare(_ request: TransferRequest, cancellation: CancellationFlag) -> TransferFailure? {
        releaseTransferState()
        let collector = ResponseCollector(
            maxHeaderBytes: request.maxHeaderBytes,
            maxBodyBytes: request.maxBodyBytes,
            cancellation: cancellation
        )

        curl_easy_reset(handle)
        errorBuffer[0] = 0
        activeCollector = collector

        do {
            try configure(for: request, collector: collector)
            activeHeaderList = try makeHeaderList(for: request)
            let headerList = activeHeaderList
            try setOption(CURLOPT_HTTPHEADER, "CURLOPT_HTTPHEADER") { xapi_curl_easy_setopt_slist($0, $1, headerList) }
        } catch {
            releaseTransferState()
            return setupFailure(error, request: request)
        }
        return nil
    }

    /// Reads the outcome of the transfer that `prepare` set up, given libcurl's result code for it, and
    /// releases the transfer's collector and header list.
    func finish(_ result: CURLcode, request: TransferRequest, cancellation: CancellationFlag) -> TransferOutcome {
        defer { releaseTransferState() }
        guard let collector = activeCollector else {
            return .failed(
                TransferFailure(
                    curlCode: Int(CURLE_FAILED_INIT.rawValue),
                    detail: "the transfer finished without being prepared",
                    proxyConnectStatus: 0,
                    connectionEstablished: false,
                    exceededLimit: nil,
                    maxBodyBytes: request.maxBodyBytes,
                    cancelled: false,
                    connectTimeoutMilliseconds: request.connectTimeoutMilliseconds,
                    totalTimeoutMilliseconds: request.totalTimeoutMilliseconds
                )
            )
        }

        if result == CURLE_OK {
            return .completed(
                TransferResponse(
                    status: longInfo(CURLINFO_RESPONSE_CODE),
                    headers: HTTPHeaders(collector.fields),
                    body: collector.body,
                    redirectURL: stringInfo(CURLINFO_REDIRECT_URL),
                    newConnections: longInfo(CURLINFO_NUM_CONNECTS)
                )
            )
        }

        return .failed(
            TransferFailure(
                curlCode: Int(result.rawValue),
                detail: errorText(for: result),
                proxyConnectStatus: longInfo(CURLINFO_HTTP_CONNECTCODE),
                connectionEstablished: longInfo(CURLINFO_REQUEST_SIZE) > 0,
                exceededLimit: collector.exceededLimit,
                maxBodyBytes: request.maxBodyBytes,
                cancelled: result == CURLE_ABORTED_BY_CALLBACK && cancellation.isRaised,
                connectTimeoutMilliseconds: request.connectTimeoutMilliseconds,
                totalTimeoutMilliseconds: request.totalTimeoutMilliseconds,
                certificateVerifyResult: longInfo(CURLINFO_SSL_VERIFYRESULT)
            )
        )
    }

    /// The `CURL *` itself, for `curl_multi_add_handle` and `curl_multi_remove_handle` in this module.
    var curlHandle: UnsafeMutableRawPointer { handle }

    private func releaseTransferState() {
        curl_slist_free_all(activeHeaderList)
        activeHeaderList = nil
        activeCollector = nil
    }

    /// Describes an option that libcurl rejected, as the failure of the whole transfer.
    private func setupFailure(_ error: SetupFailure, request: TransferRequest) -> TransferFailure {
        TransferFailure(
            curlCode: Int(error.code.rawValue),
            detail: "libcurl rejected \(error.option): \(String(cString: curl_easy_strerror(error.code)))",
            proxyConnectStatus: 0,
            connectionEstablished: false,
            exceededLimit: nil,
            maxBodyBytes: request.maxBodyBytes,
            cancelled: false,
            connectTimeoutMilliseconds: request.connectTimeoutMilliseconds,
            totalTimeoutMilliseconds: request.totalTimeoutMilliseconds
        )
    }

    /// libcurl's built-in CA directory (`CURLINFO_CAPATH`), which stays trusted when `CURLOPT_CAINFO`
    /// names an extra CA file.
    var builtInCAPath: String? { stringInfo(CURLINFO_CAPATH) }

    // MARK: - Options

    /// Sets every option of the transfer except the header list.
    private func configure(for request: TransferRequest, collector: ResponseCollector) throws(SetupFailure) {
        let context = Unmanaged.passUnretained(collector).toOpaque()

        // Target, protocols and timeouts. Redirects are followed by HTTPClient, which decides per hop
        // whether the credential may go along.
        try setString(CURLOPT_URL, "CURLOPT_URL", request.url.text)
        try setString(CURLOPT_PROTOCOLS_STR, "CURLOPT_PROTOCOLS_STR", "https,http")
        try setLong(CURLOPT_FOLLOWLOCATION, "CURLOPT_FOLLOWLOCATION", 0)
        try setLong(CURLOPT_NOSIGNAL, "CURLOPT_NOSIGNAL", 1)
        try setLong(CURLOPT_CONNECTTIMEOUT_MS, "CURLOPT_CONNECTTIMEOUT_MS", Int(request.connectTimeoutMilliseconds))
        try setLong(CURLOPT_TIMEOUT_MS, "CURLOPT_TIMEOUT_MS", Int(request.totalTimeoutMilliseconds))
        try setOption(CURLOPT_ERRORBUFFER, "CURLOPT_ERRORBUFFER") {
            xapi_curl_easy_setopt_pointer($0, $1, self.errorBuffer)
        }

        // TLS verification is always on. CURLOPT_CAINFO replaces only the CA bundle file: libcurl keeps
        // its built-in CURLOPT_CAPATH (/etc/ssl/certs on Debian), so the system CAs stay trusted.
        try setLong(CURLOPT_SSL_VERIFYPEER, "CURLOPT_SSL_VERIFYPEER", 1)
        try setLong(CURLOPT_SSL_VERIFYHOST, "CURLOPT_SSL_VERIFYHOST", 2)
        if let caFile = request.caFile {
            try setString(CURLOPT_CAINFO, "CURLOPT_CAINFO", caFile)
            // The same extra CA for an https:// proxy, which may sit behind the same private CA.
            try setString(CURLOPT_PROXY_CAINFO, "CURLOPT_PROXY_CAINFO", caFile)
        }
        if let proxy = request.proxy {
            try setString(CURLOPT_PROXY, "CURLOPT_PROXY", proxy)
        }

        // Response handling: decoded bodies (the size limit applies after decoding) and our callbacks.
        try setString(CURLOPT_USERAGENT, "CURLOPT_USERAGENT", request.userAgent)
        try setString(CURLOPT_ACCEPT_ENCODING, "CURLOPT_ACCEPT_ENCODING", "")
        // The early check against Content-Length; the write callback still enforces the limit on bodies of
        // unknown length. libcurl applies it to HEAD too, whose Content-Length describes no body.
        if request.method != "HEAD" {
            try setOption(CURLOPT_MAXFILESIZE_LARGE, "CURLOPT_MAXFILESIZE_LARGE") {
                xapi_curl_easy_setopt_off($0, $1, curl_off_t(request.maxBodyBytes))
            }
        }
        try setOption(CURLOPT_HEADERFUNCTION, "CURLOPT_HEADERFUNCTION") {
            xapi_curl_easy_setopt_write_callback($0, $1, collectHeaderLine)
        }
        try setOption(CURLOPT_HEADERDATA, "CURLOPT_HEADERDATA") { xapi_curl_easy_setopt_pointer($0, $1, context) }
        try setOption(CURLOPT_WRITEFUNCTION, "CURLOPT_WRITEFUNCTION") {
            xapi_curl_easy_setopt_write_callback($0, $1, collectBody)
        }
        try setOption(CURLOPT_WRITEDATA, "CURLOPT_WRITEDATA") { xapi_curl_easy_setopt_pointer($0, $1, context) }
        try setOption(CURLOPT_XFERINFOFUNCTION, "CURLOPT_XFERINFOFUNCTION") {
            xapi_curl_easy_setopt_xferinfo_callback($0, $1, checkCancellation)
        }
        try setOption(CURLOPT_XFERINFODATA, "CURLOPT_XFERINFODATA") { xapi_curl_easy_setopt_pointer($0, $1, context) }
        try setLong(CURLOPT_NOPROGRESS, "CURLOPT_NOPROGRESS", 0)

        try configureMethod(request.method, body: request.body)
    }

    /// Sets the method and the body. A body goes through `CURLOPT_COPYPOSTFIELDS`, so libcurl keeps its
    /// own copy for the whole transfer.
    private func configureMethod(_ method: String, body: [UInt8]?) throws(SetupFailure) {
        switch method {
        case "GET" where body == nil:
            try setLong(CURLOPT_HTTPGET, "CURLOPT_HTTPGET", 1)
        case "HEAD":
            try setLong(CURLOPT_NOBODY, "CURLOPT_NOBODY", 1)
        case "POST":
            try setLong(CURLOPT_POST, "CURLOPT_POST", 1)
        default:
            try setString(CURLOPT_CUSTOMREQUEST, "CURLOPT_CUSTOMREQUEST", method)
        }

        // POST, PUT and PATCH always carry a body, if empty, so that the server receives Content-Length: 0.
        let bytes: [UInt8]
        if let body {
            bytes = body
        } else if method == "POST" || method == "PUT" || method == "PATCH" {
            bytes = []
        } else {
            return
        }

        try setOption(CURLOPT_POSTFIELDSIZE_LARGE, "CURLOPT_POSTFIELDSIZE_LARGE") {
            xapi_curl_easy_setopt_off($0, $1, curl_off_t(bytes.count))
        }
        // libcurl copies POSTFIELDSIZE bytes during the call, so the buffer need not outlive it. An empty
        // body still needs a valid pointer, which the one-byte array provides.
        var storage = bytes.isEmpty ? [0] : bytes
        let copyResult = storage.withUnsafeMutableBytes { buffer in
            xapi_curl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, buffer.baseAddress)
        }
        guard copyResult == CURLE_OK else {
            throw SetupFailure(code: copyResult, option: "CURLOPT_COPYPOSTFIELDS")
        }
    }

    /// Builds `CURLOPT_HTTPHEADER`: the caller's headers, then the credential, revealed only here.
    private func makeHeaderList(for request: TransferRequest) throws(SetupFailure) -> UnsafeMutablePointer<curl_slist>?
    {
        var lines: [String] = []
        for (name, value) in request.headers {
            // "Name;" is libcurl's syntax for a header with an empty value; "Name:" would remove it.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }

        if request.body != nil || request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
            let names = Set(request.headers.map { $0.name.lowercased() })
            // Without these, libcurl would label the body as a form and wait for 100 Continue on large bodies.
            if !names.contains("content-type") {
                lines.append("Content-Type:")
            }
            if !names.contains("expect") {
                lines.append("Expect:")
            }
        }

        if let credential = request.credential {
            lines.append(credential.headerLine())
        }

        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let extended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw SetupFailure(code: CURLE_OUT_OF_MEMORY, option: "CURLOPT_HTTPHEADER")
            }
            list = extended
        }
        return list
    }

    // MARK: - C calls

    /// A `curl_easy_setopt` call that failed, which ends the transfer before it starts.
    struct SetupFailure: Error {
        var code: CURLcode
        var option: String
    }

    private func setOption(
        _ option: CURLoption,
        _ name: String,
        _ call: (UnsafeMutableRawPointer, CURLoption) -> CURLcode
    ) throws(SetupFailure) {
        let result = call(handle, option)
        guard result == CURLE_OK else {
            throw SetupFailure(code: result, option: name)
        }
    }

    private func setLong(_ option: CURLoption, _ name: String, _ value: Int) throws(SetupFailure) {
        try setOption(option, name) { xapi_curl_easy_setopt_long($0, $1, value) }
    }

    private func setString(_ option: CURLoption, _ name: String, _ value: String) throws(SetupFailure) {
        try setOption(option, name) { xapi_curl_easy_setopt_string($0, $1, value) }
    }

    private func longInfo(_ info: CURLINFO) -> Int {
        var value = 0
        guard xapi_curl_easy_getinfo_long(handle, info, &value) == CURLE_OK else { return 0 }
        return value
    }

    private func stringInfo(_ info: CURLINFO) -> String? {
        var value: UnsafePointer<CChar>?
        guard xapi_curl_easy_getinfo_string(handle, info, &value) == CURLE_OK, let value else { return nil }
        return String(validatingCString: value)
    }

    /// Returns the error buffer's text, or libcurl's generic text for `code` when the buffer is empty.
    private func errorText(for code: CURLcode) -> String {
        let buffered = String(cString: errorBuffer)
        if !buffered.isEmpty {
            return buffered
        }
        return String(cString: curl_easy_strerror(code))
    }
}
