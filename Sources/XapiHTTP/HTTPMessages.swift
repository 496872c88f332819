public import XapiCore

/// The credential of an API request, kept apart from ordinary headers so that the transport can
/// send it only to the request's own host and never to another host a redirect points at.
public enum HTTPCredential: Sendable, Equatable {
    /// `Authorization: Bearer TOKEN`.
    case bearer(Secret)
    /// `Authorization: token TOKEN`, GitHub's classic form.
    case tokenScheme(Secret)
    /// `Authorization: Basic base64(USER:PASSWORD)`.
    case basic(username: String, password: Secret)
    /// A credential in a header of its own, such as GitLab's `PRIVATE-TOKEN`.
    case header(name: String, value: Secret)
}

/// One HTTP request to a platform's API.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Non-secret headers; the credential goes in `credential`.
    public var headers: [(name: String, value: String)]
    public var credential: HTTPCredential?
    public var body: [UInt8]?

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        credential: HTTPCredential? = nil,
        body: [UInt8]? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.credential = credential
        self.body = body
    }
}

/// Response headers, looked up without regard to case as HTTP requires.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    /// Returns the first value of the header `name`, or nil.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name.lowercased() == wanted }?.value
    }

    /// Returns every value of the header `name`, in order of arrival.
    public func values(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    public mutating func append(name: String, value: String) {
        fields.append((name, value))
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

/// A complete HTTP response: the final one after any redirects that were followed.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The URL that produced this response, which differs from the request's after a redirect.
    public var url: String

    public init(status: Int, headers: HTTPHeaders, body: [UInt8], url: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
