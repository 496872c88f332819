import Foundation
import XapiHTTP

/// Readers of GitHub's responses: token headers, rate limits, single sign-on and error statuses.
enum GitHubResponses {
    /// Reads the token's expiry (`github-authentication-token-expiration`) and classic scopes
    /// (`X-OAuth-Scopes`) into `report`.
    static func readTokenHeaders(_ response: HTTPResponse, into report: inout TokenReport) {
        if let expiration = response.headers["github-authentication-token-expiration"] {
            if let date = ExpirationDate.parseTimestamp(expiration) {
                report.expiresAt = date
            } else {
                report.notes.append(
                    "GitHub sent the token expiry `\(expiration)` in a format this tool does not read, so the "
                        + "expiry is not checked."
                )
            }
        }
        if let scopes = response.headers["X-OAuth-Scopes"] {
            report.scopes = parseScopes(scopes)
        }
    }

    /// Splits a comma-separated scope header such as `repo, read:org`; an empty header gives no scopes.
    static func parseScopes(_ header: String) -> [String] {
        header.split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Throws the finding for the failures any GitHub call can meet: rate limits, single sign-on and 401.
    static func checkCommonFailures(
        _ response: HTTPResponse,
        request: String,
        context: VerificationContext,
        report: TokenReport
    ) throws(VerificationStop) {
        if let stop = rateLimitStop(response, now: context.now) {
            throw stop
        }
        if let stop = singleSignOnStop(response) {
            throw stop
        }
        if response.status == 401 {
            throw unauthorized(response, context: context, report: report)
        }
    }

    /// Returns the rate-limit finding for a 403 or 429, or nil when the response is not a rate limit.
    ///
    /// GitHub's primary limit returns `x-ratelimit-remaining: 0` and the reset time in
    /// `x-ratelimit-reset`. Its secondary limits send `Retry-After` or a message about a secondary rate limit
    /// or abuse detection, and then a client waits at least a minute.
    static func rateLimitStop(_ response: HTTPResponse, now: Date) -> VerificationStop? {
        guard response.status == 403 || response.status == 429 else { return nil }

        let message = APIClient.serverMessage(response.body)
        let lowered = message?.lowercased() ?? ""
        let retryAfter = RetryTime.fromRetryAfter(response.headers["Retry-After"], now: now)
        let primaryExhausted = response.headers["x-ratelimit-remaining"]?.trimmingCharacters(in: .whitespaces) == "0"
        let secondaryMessage = lowered.contains("secondary rate limit") || lowered.contains("abuse detection")

        guard retryAfter != nil || primaryExhausted || secondaryMessage || lowered.contains("rate limit")
            || response.status == 429
        else { return nil }

        let retryAt: Date
        let which: String
        if let retryAfter {
            retryAt = retryAfter
            which = "a secondary rate limit"
        } else if primaryExhausted && !secondaryMessage {
            retryAt = RetryTime.fromResetHeader(response.headers["x-ratelimit-reset"], now: now)
                ?? now.addingTimeInterval(RetryTime.defaultWait)
            let resource = response.headers["x-ratelimit-resource"].map { " for `\($0)`" } ?? ""
            which = "the primary rate limit\(resource)"
        } else {
            retryAt = now.addingTimeInterval(RetryTime.defaultWait)
            which = "a secondary rate limit"
        }

        let quoted = message.map { " (\($0))" } ?? ""
        return VerificationStop(
            status: .rateLimited,
            detail: "GitHub stopped the check at \(which)\(quoted); try again after \(retryAt.formatted(.iso8601)).",
            retryAt: retryAt
        )
    }

    /// Returns the single sign-on finding for a 403 or 404 with `X-GitHub-SSO`, or nil.
    ///
    /// The header reads `required; url=URL` when one organization needs authorization, and
    /// `partial-results; organizations=ID,ID` when results from some organizations were left out.
    static func singleSignOnStop(_ response: HTTPResponse) -> VerificationStop? {
        guard response.status == 403 || response.status == 404,
            let header = response.headers["X-GitHub-SSO"]
        else { return nil }

        let sso = parseSingleSignOn(header)
        if let url = sso.url {
            return VerificationStop(
                status: .ssoRequired,
                detail: "The organization enforces SAML single sign-on and the token is not authorized for it; "
                    + "open \(url) to authorize the token, then verify again.",
                ssoAuthorizationURL: url
            )
        }
        let organizations =
            sso.organizations.isEmpty ? "" : " (organization IDs \(sso.organizations.joined(separator: ", ")))"
        return VerificationStop(
            status: .ssoRequired,
            detail: "An organization enforces SAML single sign-on and the token is not authorized for it"
                + "\(organizations); authorize the token for single sign-on in GitHub's token settings, then "
                + "verify again."
        )
    }

    /// Splits an `X-GitHub-SSO` header into the authorization URL and the organization IDs it names.
    static func parseSingleSignOn(_ header: String) -> (url: String?, organizations: [String]) {
        var url: String?
        var organizations: [String] = []
        for part in header.split(separator: ";") {
            let field = part.trimmingCharacters(in: .whitespaces)
            if field.hasPrefix("url=") {
                url = String(field.dropFirst("url=".count))
            } else if field.hasPrefix("organizations=") {
                organizations = field.dropFirst("organizations=".count)
                    .split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            }
        }
        return (url, organizations)
    }

    /// Returns the finding for a 401: expired when the known or announced expiry has passed, otherwise invalid.
    ///
    /// GitHub returns 401 `Bad credentials` for expired, revoked and unknown tokens alike, so only a recorded
    /// expiry can distinguish them.
    static func unauthorized(
        _ response: HTTPResponse,
        context: VerificationContext,
        report: TokenReport
    ) -> VerificationStop {
        let expiry = [report.expiresAt, context.knownExpiry].compactMap { $0 }.min()
        if let expiry, expiry <= context.now {
            return VerificationStop(
                status: .expired,
                detail: "GitHub rejected the token, which expired at \(expiry.formatted(.iso8601)); create a new "
                    + "token and reconnect."
            )
        }
        let message = APIClient.serverMessage(response.body).map { " (\($0))" } ?? ""
        return VerificationStop(
            status: .invalid,
            detail: "GitHub rejected the token\(message): it is wrong, revoked or expired. Create a new token and "
                + "reconnect."
        )
    }

    /// Returns the finding for a 403 that is neither a rate limit nor single sign-on: a missing permission.
    ///
    /// Fine-grained and GitHub App tokens get `X-Accepted-GitHub-Permissions`, such as `contents=read`, which
    /// names what the endpoint needs; alternatives are separated by `;`.
    static func forbidden(_ response: HTTPResponse, request: String) -> VerificationStop {
        let message = APIClient.serverMessage(response.body) ?? "HTTP 403"
        let accepted = response.headers["X-Accepted-GitHub-Permissions"]
            .map { $0.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        let needs = accepted.isEmpty ? "" : " It needs the permission \(accepted.joined(separator: " or "))."
        return VerificationStop(
            status: .insufficientPermission,
            detail: "GitHub rejected \(request) (\(message)).\(needs) Give the token access to the repository.",
            missing: accepted
        )
    }

    /// Returns the finding for a status that the step does not expect, such as a 500.
    static func unexpectedStatus(_ response: HTTPResponse, request: String) -> VerificationStop {
        let message = APIClient.serverMessage(response.body).map { " (\($0))" } ?? ""
        let advice = response.status >= 500 ? "GitHub has a problem; try again later." : "Check the base URL."
        return VerificationStop(
            status: .unexpectedResponse,
            detail: "GitHub returned HTTP \(response.status) for \(request)\(message). \(advice)"
        )
    }
}
