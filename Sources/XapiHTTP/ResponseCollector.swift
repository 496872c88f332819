import CCurl
import Synchronization

/// A flag that `send` raises when its task is cancelled and the progress callback reads during the transfer.
final class CancellationFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    func raise() { raised.store(true, ordering: .relaxed) }

    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// Collects the status line, headers and body of one transfer from libcurl's callbacks and enforces the
/// size limits while the data arrives.
///
/// libcurl calls it only from inside `curl_easy_perform` on the handle's own queue, so it needs no lock.
final class ResponseCollector {
    /// The size limit that the response exceeded.
    enum Limit: Equatable {
        /// All header lines of the transfer together.
        case headers(max: Int)
        /// One header line, a limit that libcurl enforces itself (`CURL_MAX_HTTP_HEADER`).
        case headerLine(max: Int)
        case body(max: Int)
    }

    let maxHeaderBytes: Int
    let maxBodyBytes: Int
    let cancellation: CancellationFlag

    /// Header fields of the latest response block; a new status line starts a new block.
    private(set) var fields: [(name: String, value: String)] = []
    private(set) var body: [UInt8] = []
    /// Header bytes received in this transfer, over all blocks (interim responses included).
    private(set) var headerBytes = 0
    /// The limit that made a callback stop the transfer, if any.
    private(set) var exceededLimit: Limit?

    init(maxHeaderBytes: Int, maxBodyBytes: Int, cancellation: CancellationFlag) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.cancellation = cancellation
    }

    /// Takes one header line from `CURLOPT_HEADERFUNCTION`; returns false to stop the transfer.
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
        headerBytes += bytes.count
        guard headerBytes <= maxHeaderBytes else {
            exceededLimit = .headers(max: maxHeaderBytes)
            return false
        }

        // "\r\n" is a single Character, so line ends are stripped by Character.isNewline, not by byte.
        var line = String(decoding: bytes, as: UTF8.self)
        while let last = line.last, last.isNewline {
            line.removeLast()
        }

        if line.hasPrefix("HTTP/") {
            // A status line opens a new response: after a 100 Continue, or a proxy's CONNECT reply.
            fields.removeAll()
        } else if let first = line.first, first == " " || first == "\t", !fields.isEmpty {
            // Obsolete line folding (RFC 9112, section 5.2): the line continues the previous value.
            let index = fields.count - 1
            fields[index].value += " " + line.trimmingWhitespaceAndNewlines()
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = String(line[line.index(after: colon)...]).trimmingWhitespaceAndNewlines()
            fields.append((name, value))
        }
        return true
    }

    /// Takes one piece of the body from `CURLOPT_WRITEFUNCTION`; returns false to stop the transfer.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= maxBodyBytes else {
            exceededLimit = .body(max: maxBodyBytes)
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }
}

/// `CURLOPT_HEADERFUNCTION`: hands each header line to the `ResponseCollector` in `CURLOPT_HEADERDATA`.
///
/// Returning a count other than `size * count` makes libcurl stop with `CURLE_WRITE_ERROR`.
let collectHeaderLine: curl_write_callback = { data, size, count, context in
    let length = size * count
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length)
    return collector.receiveHeaderLine(bytes) ? length : 0
}

/// `CURLOPT_WRITEFUNCTION`: hands each piece of the body to the `ResponseCollector` in `CURLOPT_WRITEDATA`.
let collectBody: curl_write_callback = { data, size, count, context in
    let length = size * count
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length)
    return collector.receiveBody(bytes) ? length : 0
}

/// `CURLOPT_XFERINFOFUNCTION`: aborts the transfer (`CURLE_ABORTED_BY_CALLBACK`) once the caller's task
/// is cancelled. libcurl calls it about once a second while idle and more often while data flows.
let checkCancellation: curl_xferinfo_callback = { context, _, _, _, _ in
    guard let context else { return 1 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    return collector.cancellation.isRaised ? 1 : 0
}
