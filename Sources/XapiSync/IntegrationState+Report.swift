import XapiPlatforms
import XapiStore

extension IntegrationState {
    /// The state a verification leads to, or nil when the check could not tell (network trouble, rate
    /// limits, a server that answered nonsense): such a result leaves the stored state alone.
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
    /// Whether the report says the token itself no longer works, as opposed to a problem with access.
    var tokenIsDead: Bool {
        status == .expired || status == .revoked || status == .invalid
    }
}
