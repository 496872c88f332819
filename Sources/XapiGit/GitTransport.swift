import CGit2
import CGitCurlTransport
public import XapiCore

/// Process-wide setup of libgit2 and of the libcurl transport that carries every Git transfer.
public enum GitTransport {
    /// Applies the CA file, connect timeout and user agent of `settings` to later Git transfers.
    ///
    /// Call it once at start-up, before the first fetch or push; calling it again replaces the settings for
    /// transfers that start afterwards. The CA file is trusted in addition to the system's CAs.
    /// `operationTimeout` is not read here, because each `Mirror` call takes its own timeout.
    ///
    /// - Throws: `GitError` with `.tlsFailure` when the CA file cannot be read.
    public static func configure(_ settings: NetworkSettings) throws {
        try LibGit2.ensureInitialized()

        let connectMilliseconds = max(1, settings.connectTimeout.wholeMilliseconds)
        let result = xg_transport_configure(settings.caFile, settings.userAgent, Int(connectMilliseconds))
        try LibGit2.check(result, "xg_transport_configure")
    }
}

/// libgit2's one-time initialisation.
enum LibGit2 {
    /// The outcome of initialising libgit2, computed once per process by Swift's lazy static initialiser.
    private static let initialization: Result<Void, GitError> = {
        let count = git_libgit2_init()
        if count < 0 {
            return .failure(GitError(kind: .other, message: "libgit2 failed to initialise (error \(count))"))
        }

        // A mirror reads only its own config: no system, XDG, global or ProgramData configuration file.
        let levels = [
            GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG,
            GIT_CONFIG_LEVEL_GLOBAL,
        ]
        for level in levels {
            if let error = captureError(xapi_git_set_search_path(level, ""), "git_libgit2_opts(SET_SEARCH_PATH)") {
                return .failure(error)
            }
        }

        // Without this registration libgit2 would use its own HTTP code: no timeouts and mbedTLS.
        if let error = captureError(xg_transport_register(), "xg_transport_register") {
            return .failure(error)
        }
        return .success(())
    }()

    /// Initialises libgit2 and registers the libcurl transport, once per process.
    static func ensureInitialized() throws {
        try initialization.get()
    }

    /// Throws the error of a failed libgit2 call that does no network transfer.
    ///
    /// libgit2 keeps its last error per thread, so this must run on the thread of the failed call, right
    /// after it and before any `await`.
    static func check(_ result: Int32, _ function: String) throws {
        if let error = captureError(result, function) {
            throw error
        }
    }

    /// Returns the error of a failed libgit2 call, or nil when `result` is not negative.
    static func captureError(_ result: Int32, _ function: String) -> GitError? {
        guard result < 0 else { return nil }

        let detail = lastErrorText() ?? "no message (error \(result))"
        return GitError(kind: kind(of: result), message: "\(function) failed: \(detail)")
    }

    /// Classifies `result` and the thread's last libgit2 error class as a `GitError.Kind`.
    static func kind(of result: Int32) -> GitError.Kind {
        if result == GIT_EAUTH.rawValue {
            return .authenticationFailed
        }
        if result == GIT_ENONFASTFORWARD.rawValue {
            return .nonFastForward
        }
        if let last = git_error_last(), last.pointee.klass == Int32(GIT_ERROR_SSL.rawValue) {
            return .tlsFailure
        }
        return .other
    }

    /// Returns the text of the calling thread's last libgit2 error.
    static func lastErrorText() -> String? {
        guard let last = git_error_last(), let text = last.pointee.message else { return nil }
        return String(cString: text)
    }
}
