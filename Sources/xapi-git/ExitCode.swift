import XapiSync

/// The documented, stable exit codes of `xapi-git`.
enum ExitCode: Int32 {
    case success = 0
    case failure = 1
    case notInitialized = 2
    case integrationExpired = 3
    case permissionDenied = 4
    case verificationFailed = 5
    case notFound = 6
    case notConfirmed = 7
    case pushRejected = 8
    case alreadyExists = 9
    /// `integration health`: at least one integration is expired, expiring within the window or needs attention.
    case healthNeedsAttention = 10
    /// `integration health`: some integrations could not be checked and none needs attention.
    case healthUnchecked = 11
    case conflict = 12
    case usage = 64

    init(_ kind: ConnectorError.Kind) {
        switch kind {
        case .invalidInput: self = .usage
        case .notFound: self = .notFound
        case .alreadyExists: self = .alreadyExists
        case .permissionDenied: self = .permissionDenied
        case .integrationExpired: self = .integrationExpired
        case .verificationFailed: self = .verificationFailed
        case .notConfirmed: self = .notConfirmed
        case .pushRejected: self = .pushRejected
        case .notInitialized: self = .notInitialized
        case .conflict: self = .conflict
        case .failed: self = .failure
        }
    }
}
