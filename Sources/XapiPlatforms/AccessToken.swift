public import XapiCore

/// How a token authenticates, which decides the API header and the Git user name.
public enum CredentialKind: Sendable, Hashable, Codable {
    /// A personal, project or group access token sent as a bearer token (GitHub, GitLab, Bitbucket
    /// Data Center personal tokens).
    case accessToken
    /// Bitbucket Cloud API token: Basic with the Atlassian account e-mail.
    case bitbucketAPIToken(email: String)
    /// Bitbucket Cloud repository, project or workspace access token: Bearer only.
    case bitbucketAccessToken
    /// Bitbucket Cloud app password: Basic with the Bitbucket username. Deprecated by Atlassian.
    case bitbucketAppPassword(username: String)
    /// Bitbucket Data Center project or repository token: Bearer only, for Git as well.
    case dataCenterBearerToken
}

/// A token together with the way it is presented to the platform.
public struct AccessToken: Sendable, Hashable {
    public var kind: CredentialKind
    public var secret: Secret

    public init(kind: CredentialKind = .accessToken, secret: Secret) {
        self.kind = kind
        self.secret = secret
    }
}
