/// A setting that an adapter cannot work with: a malformed base URL, repository name or credential.
///
/// Network and API failures never arrive as `PlatformError`, because `PlatformAdapter.verify` turns them into
/// a `TokenReport` status. This error is for values the user typed. Its message names the value (never a
/// token) and how to fix it.
public struct PlatformError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The base URL is malformed, not https, or carries user-info, a query or a fragment.
        case invalidBaseURL
        /// The platform has no public service, so a base URL is required (Bitbucket Data Center).
        case missingBaseURL
        /// The repository name does not have the platform's form, or points at another host.
        case invalidRepository
        /// The credential kind does not fit the platform, or its user name or e-mail is malformed.
        case invalidCredential
    }

    public var kind: Kind
    /// The problem, the value it concerns, and the fix.
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
