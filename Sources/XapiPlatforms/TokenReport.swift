public import Foundation
public import XapiCore

/// The verdict on a token for one repository and branch, from the platform's REST API.
public struct TokenReport: Sendable, Codable, Equatable {
    /// The outcome of a verification; the cases are listed from the best to the most serious.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// The token works and may push to the branch.
        case valid
        /// The token works but expires within the warning window.
        case expiringSoon = "expiring-soon"
        /// The token's expiry has passed, or the platform reports it as expired.
        case expired
        /// The platform reports that the token was revoked.
        case revoked
        /// The platform does not accept the token at all.
        case invalid
        /// The token works but may not push (missing scope, role or permission); `missing` names what.
        case insufficientPermission = "insufficient-permission"
        /// The repository does not exist or the token cannot see it.
        case repositoryNotFound = "repository-not-found"
        /// The repository exists but the branch does not.
        case branchNotFound = "branch-not-found"
        /// The organization enforces SAML single sign-on and the token is not authorized for it.
        case ssoRequired = "sso-required"
        /// The account that owns the token is blocked.
        case accountBlocked = "account-blocked"
        /// The platform rate-limited the check, and `retryAt` is when to try again.
        case rateLimited = "rate-limited"
        /// The server could not be reached, or it did not respond in time.
        case unreachable
        /// The TLS handshake failed: an untrusted, expired or mismatched certificate.
        case tlsFailure = "tls-failure"
        /// The server sent a response the adapter cannot parse, such as malformed JSON.
        case unexpectedResponse = "unexpected-response"
    }

    public var status: Status
    /// One sentence on what was found and, when something is wrong, what to do.
    public var detail: String
    /// The login or username that owns the token, when the platform reports it.
    public var account: String?
    /// The token's expiry date, or nil when it never expires or the platform does not report it.
    public var expiresAt: Date?
    /// The scopes or permissions the platform reports for the token.
    public var scopes: [String]
    /// Whether the token may push to the branch, when that was determined.
    public var canPush: Bool?
    /// Whether the branch is protected, when that was determined.
    public var branchProtected: Bool?
    /// The permissions or scopes that are missing for a push, by the platform's names.
    public var missing: [String]
    /// The URL at which the owner authorizes the token for single sign-on.
    public var ssoAuthorizationURL: String?
    /// When the platform allows the next call after a rate limit.
    public var retryAt: Date?
    /// The repository's current name when the platform redirected to a renamed or moved repository.
    public var canonicalRepository: String?
    /// Notes that do not change the status, such as a deprecated credential kind or a server that lacks
    /// an endpoint.
    public var notes: [String]
    /// The platform's own id of the repository, such as GitLab's numeric project id, which survives renames.
    public var platformProjectID: String?

    public init(
        status: Status,
        detail: String,
        account: String? = nil,
        expiresAt: Date? = nil,
        scopes: [String] = [],
        canPush: Bool? = nil,
        branchProtected: Bool? = nil,
        missing: [String] = [],
        ssoAuthorizationURL: String? = nil,
        retryAt: Date? = nil,
        canonicalRepository: String? = nil,
        notes: [String] = [],
        platformProjectID: String? = nil
    ) {
        self.status = status
        self.detail = detail
        self.account = account
        self.expiresAt = expiresAt
        self.scopes = scopes
        self.canPush = canPush
        self.branchProtected = branchProtected
        self.missing = missing
        self.ssoAuthorizationURL = ssoAuthorizationURL
        self.retryAt = retryAt
        self.canonicalRepository = canonicalRepository
        self.notes = notes
        self.platformProjectID = platformProjectID
    }

    /// Whether a sync may go ahead with this token.
    public var permitsSync: Bool {
        status == .valid || status == .expiringSoon
    }
}

/// The inputs of a verification besides the token: the clock, the warning window, and the expiry the
/// store recorded for the token.
public struct VerificationContext: Sendable {
    public var now: Date
    /// A token that expires within this interval is reported as expiring soon.
    public var expiryWarning: TimeInterval
    /// The expiry recorded when the token was last verified. Platforms such as GitHub return 401 for
    /// expired and invalid tokens alike, so a 401 after this date is reported as expired.
    public var knownExpiry: Date?

    public init(now: Date = Date(), expiryWarning: TimeInterval = 7 * 24 * 3600, knownExpiry: Date? = nil) {
        self.now = now
        self.expiryWarning = expiryWarning
        self.knownExpiry = knownExpiry
    }
}

/// How to reach a repository with Git over HTTPS.
public struct GitAccess: Sendable {
    /// The clone URL, which never contains a credential.
    public var url: String
    /// The user name given with the token in Basic authentication.
    public var username: String
    public var password: Secret
    /// Whether the token must travel as `Authorization: Bearer` instead of Basic, as Bitbucket Data
    /// Center project and repository tokens require.
    public var sendsBearer: Bool

    public init(url: String, username: String, password: Secret, sendsBearer: Bool) {
        self.url = url
        self.username = username
        self.password = password
        self.sendsBearer = sendsBearer
    }
}

/// A platform adapter, which verifies tokens over the platform's REST API and returns the URL and
/// credential for reaching the repository with Git.
public protocol PlatformAdapter: Sendable {
    var platform: Platform { get }

    /// Verifies `token` for the repository and branch of `location`. Every failure, network ones
    /// included, becomes a report status, so this never throws.
    func verify(token: AccessToken, at location: RepositoryLocation, context: VerificationContext) async
        -> TokenReport

    /// The Git URL and credential for pushing to `location` with `token`.
    func gitAccess(token: AccessToken, at location: RepositoryLocation) throws -> GitAccess

    /// The repository name as the platform's API names it, from what a user typed or pasted (such as a
    /// GitLab project URL); throws `PlatformError` when it is not a valid name for this platform.
    func normalizedRepository(_ repository: String) throws -> String
}
