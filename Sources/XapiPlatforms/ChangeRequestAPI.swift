import Foundation
import XapiHTTP

/// The HTTP side shared by the change request clients: sends a request with the platform's credential and
/// headers, and reads the JSON fields of the response.
struct ChangeRequestAPI: Sendable {
    let platform: Platform
    let transport: any HTTPTransport
    let credential: HTTPCredential
    let headers: [(name: String, value: String)]

    /// Sends `method url` with an optional JSON body. Every HTTP status returns a response.
    ///
    /// - Parameter request: The request as messages name it, such as `POST /repos/o/r/pulls`.
    func send(_ method: String, _ url: String, json: Any? = nil, describing request: String)
        async throws(ChangeRequestError) -> HTTPResponse
    {
        var message = HTTPRequest(method: method, url: url, headers: headers, credential: credential)
        if let json {
            let body = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
            message.headers.append(("Content-Type", "application/json"))
            message.body = [UInt8](body)
        }
        do {
            return try await transport.send(message)
        } catch {
            throw ChangeRequestError.transport(error, request: request, platform: platform)
        }
    }

    /// Decodes the response body and returns what `read` takes from it; a missing or mistyped field throws.
    func parse<T>(
        _ response: HTTPResponse,
        request: String,
        _ read: (JSONDocument) throws(VerificationStop) -> T
    ) throws(ChangeRequestError) -> T {
        do {
            let source = "\(platform.displayName)'s response to \(request)"
            return try read(try JSONDocument(body: response.body, source: source))
        } catch {
            throw ChangeRequestError(status: response.status, message: error.detail)
        }
    }
}
