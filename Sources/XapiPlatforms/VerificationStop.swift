import Foundation

/// A finding that ends a verification early, such as a 401 or a missing repository.
///
/// Adapters throw it from the step that found the problem. `verify` catches it and writes it into the
/// report, which keeps what earlier steps learned (account, expiry, scopes).
struct VerificationStop: Error {
    var status: TokenReport.Status
    var detail: String
    var missing: [String] = []
    var retryAt: Date?
    var ssoAuthorizationURL: String?

    /// Writes the finding into `report`, leaving fields that earlier steps filled in place.
    func apply(to report: inout TokenReport) {
        report.status = status
        report.detail = detail
        if !missing.isEmpty {
            report.missing = missing
        }
        if let retryAt {
            report.retryAt = retryAt
        }
        if let ssoAuthorizationURL {
            report.ssoAuthorizationURL = ssoAuthorizationURL
        }
    }
}

extension TokenReport {
    /// Returns a report whose status is not known yet, for verification steps to fill in.
    static func pending() -> TokenReport {
        TokenReport(status: .valid, detail: "")
    }

    /// Runs `steps` and turns whatever they throw into the report's status.
    ///
    /// A `VerificationStop` carries its own status. Anything else is a programming slip in an adapter, so it
    /// becomes `unexpectedResponse` with the error's text rather than a crash.
    static func collecting(
        platform: Platform,
        _ steps: (inout TokenReport) async throws -> Void
    ) async -> TokenReport {
        var report = TokenReport.pending()
        do {
            try await steps(&report)
        } catch let stop as VerificationStop {
            stop.apply(to: &report)
        } catch {
            report.status = .unexpectedResponse
            report.detail = "Verifying the token with \(platform.displayName) failed: \(error)."
        }
        return report
    }

    /// Sets the final status once every check passed: valid, or expiring soon within the warning window.
    mutating func conclude(validDetail: String, context: VerificationContext) {
        if let expiresAt, expiresAt.timeIntervalSince(context.now) <= context.expiryWarning {
            status = .expiringSoon
            let date = expiresAt.formatted(.iso8601)
            detail = validDetail + " The token expires at \(date); create a new one and reconnect before then."
        } else {
            status = .valid
            detail = validDetail
        }
    }
}
