import Foundation
import XapiHTTP

/// Sends one platform's API requests with its credential and fixed headers, and turns transport failures into
/// report findings.
struct APIClient: Sendable {
    let platform: Platform
    let transport: any HTTPTransport
    let credential: HTTPCredential
    let headers: [(name: String, value: String)]

    /// Sends `GET url`. Every HTTP status returns a response; only a failed exchange throws.
    ///
    /// - Throws: `VerificationStop` with status `unreachable`, `tlsFailure` or `unexpectedResponse`.
    func get(_ url: String) async throws(VerificationStop) -> HTTPResponse {
        let request = HTTPRequest(method: "GET", url: url, headers: headers, credential: credential)
        do {
            return try await transport.send(request)
        } catch let error as HTTPError {
            throw Self.stop(for: error, platform: platform, url: url)
        } catch {
            throw VerificationStop(
                status: .unreachable,
                detail: "The request to \(platform.displayName) failed: \(error)."
            )
        }
    }

    /// Maps a failed exchange to a report status whose detail names the host and the next step.
    static func stop(for error: HTTPError, platform: Platform, url: String) -> VerificationStop {
        let host = error.host ?? hostOf(url) ?? url
        let reason = error.message.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        switch error.kind {
        case .timedOut:
            return VerificationStop(
                status: .unreachable,
                detail: "\(platform.displayName) at \(host) timed out (\(reason)); check the network "
                    + "and the server, then try again."
            )
        case .unreachable, .transport:
            return VerificationStop(
                status: .unreachable,
                detail: "\(platform.displayName) at \(host) could not be reached (\(reason)); check the base URL "
                    + "and the network, then try again."
            )
        case .proxyAuthenticationRequired:
            return VerificationStop(
                status: .unreachable,
                detail: "The proxy to \(host) requires credentials (\(reason)); configure the proxy credentials."
            )
        case .tlsFailure:
            return VerificationStop(
                status: .tlsFailure,
                detail: "The TLS handshake with \(host) failed (\(reason)). If the server's certificate comes from "
                    + "a private CA, pass that CA's certificate with --ca-file."
            )
        case .responseTooLarge, .tooManyRedirects, .invalidURL:
            return VerificationStop(
                status: .unexpectedResponse,
                detail: "The request to \(platform.displayName) at \(host) failed: \(reason)."
            )
        }
    }

    /// Returns the host of an absolute URL, or nil when it has none.
    static func hostOf(_ url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let withoutUser = authority.split(separator: "@").last.map(String.init) ?? String(authority)
        if withoutUser.hasPrefix("["), let close = withoutUser.firstIndex(of: "]") {
            return String(withoutUser[...close])
        }
        return withoutUser.split(separator: ":").first.map { String($0).lowercased() }
    }

    /// Returns the error message of a platform's JSON error body, shortened for a report, or nil.
    ///
    /// Reads `message` (GitHub, GitLab), `error_description` (GitLab OAuth errors), `error.message`
    /// (Bitbucket Cloud) and `errors[0].message` (Bitbucket Data Center).
    static func serverMessage(_ body: [UInt8], maxCharacters: Int = 200) -> String? {
        guard let document = try? JSONDocument(body: body, source: "error body") else { return nil }

        var candidates: [String?] = []
        candidates.append(try? document.optionalString("message"))
        candidates.append(try? document.optionalString("error_description"))
        candidates.append(try? document.optionalString("error", "message"))
        if let first = (try? document.array("errors"))?.first {
            candidates.append(try? first.optionalString("message"))
        }
        candidates.append(try? document.optionalString("error"))

        guard let message = candidates.compactMap({ $0 }).first(where: { !$0.isEmpty }) else { return nil }
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return oneLine.count > maxCharacters ? String(oneLine.prefix(maxCharacters)) + "…" : oneLine
    }
}
