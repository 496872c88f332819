public import XapiCore

/// The credential a mirror sends for Git transfers.
///
/// GitHub takes the user `x-access-token` with a token as password, GitLab any non-empty user name,
/// Bitbucket Cloud `x-token-auth` or the account name, and Bitbucket Data Center project and repository
/// tokens only as a bearer token.
public struct GitCredential: Sendable {
    public var username: String
    public var password: Secret
    /// Sends `Authorization: Bearer PASSWORD` instead of Basic authentication with `username`.
    public var sendsBearer: Bool

    public init(username: String, password: Secret, sendsBearer: Bool = false) {
        self.username = username
        self.password = password
        self.sendsBearer = sendsBearer
    }
}
