/// A failed Git operation of a mirror: what failed, on which value, and what to do next.
///
/// The message never contains a token: the transport keeps credentials out of every text it produces, and
/// network errors are checked for the credential's bytes before they are thrown.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server rejected the credential (HTTP 401 after the credential was sent).
        case authenticationFailed
        /// The operation's deadline passed before the server responded.
        case timedOut
        /// The server refused to update a reference, for example a protected branch or a hook.
        case pushRejected
        /// The remote branch has commits that the pushed commit does not contain; fetch and rebuild.
        case nonFastForward
        /// The server returned HTTP 404 for the repository.
        case repositoryNotFound
        /// The server returned HTTP 403: the credential is valid but may not read or write the repository.
        case accessDenied
        /// The TLS handshake failed, or the CA file could not be read.
        case tlsFailure
        /// The host could not be resolved or reached, or the connection broke.
        case unreachable
        /// The proxy named by `https_proxy` or `http_proxy` answered 407: it needs credentials.
        case proxyAuthenticationRequired
        /// The server sent a response body larger than the Git transport's 512 MiB limit.
        case responseTooLarge
        /// A repository path of a file write is not allowed.
        case invalidPath
        /// Any other failure. The message names the libgit2 call that failed and gives its reason.
        case other
    }

    public let kind: Kind
    /// A description of the failure and the next step, which never contains a secret.
    public let message: String
    /// For `.pushRejected`: the reference the server refused, such as `refs/heads/main`.
    public let rejectedReference: String?
    /// For `.pushRejected`: the server's status for the reference and the text it sent while refusing,
    /// such as "pre-receive hook declined" followed by "GH006: Protected branch update failed".
    public let serverOutput: String?

    public init(kind: Kind, message: String, rejectedReference: String? = nil, serverOutput: String? = nil) {
        self.kind = kind
        self.message = message
        self.rejectedReference = rejectedReference
        self.serverOutput = serverOutput
    }

    public var description: String { message }
}
