import XapiCore

/// One transfer of a request: the original one, or the one a redirect leads to.
struct Hop: Sendable {
    var method: String
    var url: RequestURL
    var headers: [(name: String, value: String)]
    var credential: HTTPCredential?
    var body: [UInt8]?
}

/// The client's redirect policy: which statuses it follows, how the method changes, and when the
/// credential stays behind.
enum RedirectRule {
    /// Statuses whose `Location` the client follows; 300 and 304 are returned to the caller as they are.
    static let followedStatuses: Set<Int> = [301, 302, 303, 307, 308]

    /// Request headers that carry credentials or session state and so stay with the original origin.
    static let originBoundHeaders: Set<String> = ["authorization", "cookie"]

    static func isFollowed(_ status: Int) -> Bool {
        followedStatuses.contains(status)
    }

    /// Builds the hop that follows a redirect from `previous` to `location`.
    ///
    /// A 303 turns the request into a GET without body (a HEAD stays a HEAD); 301, 302, 307 and 308 keep
    /// the method and body. When the target's origin differs from `originalURL`'s, the credential and the
    /// origin-bound headers are dropped and stay dropped for any later hop.
    static func nextHop(
        after previous: Hop,
        status: Int,
        location: String,
        originalURL: RequestURL,
        log: Log
    ) throws(HTTPError) -> Hop {
        let target: RequestURL
        do {
            target = try RequestURL(validating: location)
        } catch {
            throw HTTPError(
                kind: error.kind,
                host: previous.url.host,
                message: "\(previous.url.host) responded \(status) with a redirect that was not followed: "
                    + error.message
            )
        }

        var next = previous
        next.url = target

        if status == 303 && previous.method != "HEAD" {
            next.method = "GET"
            next.body = nil
            next.headers.removeAll { $0.name.lowercased() == "content-type" }
        }

        if target.origin != originalURL.origin {
            let credentialName = previous.credential?.headerName
            let hadCredential =
                previous.credential != nil
                || previous.headers.contains { originBoundHeaders.contains($0.name.lowercased()) }

            next.credential = nil
            next.headers.removeAll { field in
                let name = field.name.lowercased()
                return originBoundHeaders.contains(name) || name == credentialName
            }

            if hadCredential {
                log.debug(
                    "Credential dropped on redirect to another origin",
                    ["from": originalURL.origin, "to": target.origin, "status": String(status)]
                )
            }
        }

        return next
    }
}
