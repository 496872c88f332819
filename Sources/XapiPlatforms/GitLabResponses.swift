import Foundation
import XapiHTTP

/// The mapping from GitLab's error responses to report statuses.
enum GitLabResponses {
    /// Throws the finding for any non-2xx response; returns for 2xx.
    ///
    /// GitLab distinguishes expired from revoked tokens in the 401 body (`Token is expired`, `Token was
    /// revoked`). It returns 403 `insufficient_scope` with the accepted scopes in `scope`, and 403 with a
    /// message containing "blocked" for a blocked account.
    static func checkFailures(
        _ response: HTTPResponse,
        request: String,
        context: VerificationContext,
        report: TokenReport
    ) throws(VerificationStop) {
        guard !(200..<300).contains(response.status) else { return }
        let message = APIClient.serverMessage(response.body)
        let lowered = message?.lowercased() ?? ""

        switch response.status {
        case 401:
            if lowered.contains("blocked") {
                throw blocked(report: report)
            }
            if lowered.contains("token is expired") {
                throw VerificationStop(
                    status: .expired,
                    detail: "GitLab reports that the token expired; create a new token and reconnect."
                )
            }
            if lowered.contains("token was revoked") {
                throw VerificationStop(
                    status: .revoked,
                    detail: "GitLab reports that the token was revoked (GitLab then revokes the tokens rotated from "
                        + "it too); create a new token and reconnect."
                )
            }
            if let expiry = context.knownExpiry, expiry <= context.now {
                throw VerificationStop(
                    status: .expired,
                    detail: "GitLab rejected the token, which expired at \(expiry.formatted(.iso8601)); create a new "
                        + "token and reconnect."
                )
            }
            let quoted = message.map { " (\($0))" } ?? ""
            throw VerificationStop(
                status: .invalid,
                detail: "GitLab rejected the token\(quoted): it is wrong or was deleted. Create a new token and "
                    + "reconnect."
            )

        case 403:
            if let stop = insufficientScope(response.body, request: request) {
                throw stop
            }
            if lowered.contains("blocked") {
                throw blocked(report: report)
            }
            let quoted = message.map { " (\($0))" } ?? ""
            throw VerificationStop(
                status: .insufficientPermission,
                detail: "GitLab rejected \(request)\(quoted); check the token's scopes and the user's role in the "
                    + "project."
            )

        case 429:
            let retryAt = RetryTime.fromRetryAfter(response.headers["Retry-After"], now: context.now)
                ?? RetryTime.fromResetHeader(response.headers["RateLimit-Reset"], now: context.now)
                ?? context.now.addingTimeInterval(RetryTime.defaultWait)
            let limit = response.headers["RateLimit-Name"].map { " (\($0))" } ?? ""
            throw VerificationStop(
                status: .rateLimited,
                detail: "GitLab rate-limited the check\(limit); try again after \(retryAt.formatted(.iso8601)).",
                retryAt: retryAt
            )

        default:
            let quoted = message.map { " (\($0))" } ?? ""
            let advice = response.status >= 500 ? "GitLab has a problem; try again later." : "Check the base URL."
            throw VerificationStop(
                status: .unexpectedResponse,
                detail: "GitLab returned HTTP \(response.status) for \(request)\(quoted). \(advice)"
            )
        }
    }

    /// Returns the finding for a 403 `insufficient_scope` body, or nil for any other body.
    static func insufficientScope(_ body: [UInt8], request: String) -> VerificationStop? {
        guard let document = try? JSONDocument(body: body, source: "GitLab's error body"),
            (try? document.optionalString("error")) == "insufficient_scope"
        else { return nil }

        let accepted = ((try? document.optionalString("scope")) ?? nil)?
            .split(separator: " ")
            .map(String.init) ?? []
        let needs = accepted.isEmpty ? "more scopes" : "one of the scopes \(accepted.joined(separator: ", "))"
        return VerificationStop(
            status: .insufficientPermission,
            detail: "The token lacks the scope for \(request): it needs \(needs). Create a token with the api or "
                + "read_api and write_repository scopes.",
            missing: accepted
        )
    }

    private static func blocked(report: TokenReport) -> VerificationStop {
        let account = report.account.map { " `\($0)`" } ?? ""
        return VerificationStop(
            status: .accountBlocked,
            detail: "The GitLab account\(account) that owns the token is blocked; an administrator must unblock it."
        )
    }
}
