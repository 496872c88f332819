import Foundation
import XapiHTTP

/// The JSON that the lab's `/_lab/echo` returns: the request as the server received it.
struct Echo: Decodable {
    var method: String
    var path: String
    /// Header names lower-cased, repeated headers joined by ", ".
    var headers: [String: String]
    var body: String

    init(_ response: HTTPResponse) throws {
        self = try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }
}
