import CGit2
import CGitCurlTransport
import Foundation

/// One Git network operation on the mirror's thread: its deadline, its credential and the classification
/// of its failures.
struct TransferOperation {
    let credential: GitCredential
    let host: String
    let timeout: Duration

    /// Runs `body` with the transport's deadline set to now plus `timeout` on the calling thread.
    ///
    /// libgit2 runs the subtransport on the thread that calls it, so `body` must make its libgit2 calls
    /// synchronously on this thread.
    func run<T>(_ body: () throws -> T) throws -> T {
        let deadline = Int64(Date().timeIntervalSince1970 * 1000) + max(1, timeout.wholeMilliseconds)
        xg_operation_begin(deadline, credential.sendsBearer ? 1 : 0)
        defer { xg_operation_end() }

        return try body()
    }

    /// Throws the error of a failed libgit2 network call, classified by what the transport recorded.
    ///
    /// Call it right after the failed call, on the same thread: both the libgit2 error and the transport's
    /// failure record are thread-local.
    func check(_ result: Int32, _ function: String) throws {
        guard result < 0 else { return }

        let detail = LibGit2.lastErrorText() ?? "no message (error \(result))"
        let failure = xg_operation_failure()
        let kind = Self.kind(of: failure) ?? LibGit2.kind(of: result)

        // The transport's own messages already name the host and the fix; libgit2's need the call's name.
        let message = failure == XG_FAILURE_NONE ? "\(function) with \(host) failed: \(detail)" : detail
        throw GitError(kind: kind, message: redacted(message))
    }

    /// `text` with any occurrence of the credential's password replaced.
    func redacted(_ text: String) -> String {
        let password = credential.password.revealed()
        guard !password.isEmpty, text.contains(password) else { return text }
        return text.replacingOccurrences(of: password, with: "<redacted>")
    }

    private static func kind(of failure: xg_failure) -> GitError.Kind? {
        switch failure {
        case XG_FAILURE_TIMED_OUT: return .timedOut
        case XG_FAILURE_AUTHENTICATION: return .authenticationFailed
        case XG_FAILURE_ACCESS_DENIED: return .accessDenied
        case XG_FAILURE_NOT_FOUND: return .repositoryNotFound
        case XG_FAILURE_TLS: return .tlsFailure
        case XG_FAILURE_UNREACHABLE: return .unreachable
        case XG_FAILURE_PROXY_AUTHENTICATION: return .proxyAuthenticationRequired
        case XG_FAILURE_RESPONSE_TOO_LARGE: return .responseTooLarge
        case XG_FAILURE_NONE: return nil
        default: return .other
        }
    }
}
