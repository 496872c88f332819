public import XapiPlatforms

/// A failed connector operation. `kind` decides the command line's exit code; `message` says what
/// failed, on which value, and what to do next. No message ever contains a token.
public struct ConnectorError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The input is malformed: a name, a path, an option value.
        case invalidInput = "invalid-input"
        /// The named integration, API, model or member does not exist.
        case notFound = "not-found"
        /// Something with that name exists already.
        case alreadyExists = "already-exists"
        /// The acting member's role does not allow the action.
        case permissionDenied = "permission-denied"
        /// The integration's token has expired or the platform no longer accepts it.
        case integrationExpired = "integration-expired"
        /// Verification found the token or repository unusable, and `report` contains the findings.
        case verificationFailed = "verification-failed"
        /// The review was declined or could not be confirmed.
        case notConfirmed = "not-confirmed"
        /// The Git server refused the push.
        case pushRejected = "push-rejected"
        /// A file that the sync writes was changed on the branch since the last sync; nothing was pushed.
        case conflict
        /// The organization has not been set up with `org init`.
        case notInitialized = "not-initialized"
        /// Any other failure: network, Git, store.
        case failed
    }

    public var kind: Kind
    public var message: String
    /// The verification behind the failure, when there was one.
    public var report: TokenReport?

    public init(_ kind: Kind, _ message: String, report: TokenReport? = nil) {
        self.kind = kind
        self.message = message
        self.report = report
    }

    public var description: String { message }
}
