import Foundation
import XapiHTTP

/// A transport that returns prepared responses by URL and records the requests it got.
///
/// It replaces the network only in tests of how adapters read odd responses that the lab does not produce,
/// such as malformed JSON on a platform endpoint. Lab tests use the real `HTTPClient`.
final class RecordedTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private let responses: [String: HTTPResponse]
    private var sent: [HTTPRequest] = []

    /// Responses keyed by the full request URL; any other URL gets a 404.
    init(_ responses: [String: (status: Int, headers: [(name: String, value: String)], body: String)]) {
        var prepared: [String: HTTPResponse] = [:]
        for (url, response) in responses {
            prepared[url] = HTTPResponse(
                status: response.status,
                headers: HTTPHeaders(response.headers),
                body: Array(response.body.utf8),
                url: url
            )
        }
        self.responses = prepared
    }

    var requests: [HTTPRequest] {
        lock.withLock { sent }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { sent.append(request) }
        let notFound = Array(#"{"message":"Not Found"}"#.utf8)
        return responses[request.url]
            ?? HTTPResponse(status: 404, headers: HTTPHeaders(), body: notFound, url: request.url)
    }
}
