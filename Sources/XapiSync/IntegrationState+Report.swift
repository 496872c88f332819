public import XapiPlatforms
import XapiStore

extension IntegrationState {
    /// Creates the state a verification leads to. It is nil when the check was inconclusive (network
    /// trouble, a rate limit, a malformed response), because such a result must leave the stored state alone.
    init?(report: TokenReport) {
        switch report.status {
        case .valid: self = .active
        case .expiringSoon: self = .expiring
        case .expired, .revoked, .invalid: self = .expired
        case .insufficientPermission, .repositoryNotFound, .branchNotFound, .ssoRequired, .accountBlocked:
            self = .needsAttention
        case .rateLimited, .unreachable, .tlsFailure, .unexpectedResponse:
            return nil
        }
    }
}

extension TokenReport {
    /// Whether the token itself no longer works (expired, revoked or unknown), as opposed to a problem with access.
    var tokenIsDead: Bool {
        status == .expired || status == .revoked || status == .invalid
    }
}

extension ConnectorError.Kind {
    /// Returns the kind of error for a verification that does not permit a sync, so that the exit code
    /// separates a dead token, a missing branch, a refused permission and a network problem.
    ///
    /// - Parameter storedToken: whether the token is an integration's stored one; a dead stored token
    ///   means the integration has expired, while a dead new token simply fails verification.
    public static func failedVerification(_ report: TokenReport, storedToken: Bool) -> ConnectorError.Kind {
        switch report.status {
        case .expired, .revoked, .invalid:
            return storedToken ? .integrationExpired : .verificationFailed
        case .branchNotFound:
            return .notFound
        case .unreachable, .tlsFailure, .rateLimited, .unexpectedResponse:
            return .failed
        case .valid, .expiringSoon, .insufficientPermission, .repositoryNotFound, .ssoRequired, .accountBlocked:
            return .verificationFailed
        }
    }
}
