public import Foundation
public import XapiCore

/// The connector's settings: where it keeps its state and how it reaches servers.
public struct ConnectorConfiguration: Sendable {
    /// The directory of the store and the Git mirrors.
    public var home: String
    /// The path of the sealing key file, or nil for `home/sealing.key`. Ignored when `keyBase64` is set.
    public var keyFile: String?
    /// The sealing key itself, base64, for deployments that pass it in the environment (`XAPI_GIT_KEY`).
    public var keyBase64: String?
    public var network: NetworkSettings
    /// A token that expires within this interval is reported as expiring.
    public var expiryWarning: TimeInterval
    /// How many times a sync pushes, rebuilding its commit on the new tip each time another push moved the
    /// branch first. Every lost race means another push landed, so several syncs to one branch at once need
    /// about one attempt per sync.
    public var pushAttempts: Int
    public var log: Log
    /// Whether opening creates the store and the sealing key when the home has none yet. Commands other
    /// than setting up an organization pass false, so that a mistyped home is reported instead of filled.
    public var createsStore: Bool = true
    /// The clock that expiry checks read; tests move it forward instead of waiting.
    public var now: @Sendable () -> Date = { Date() }

    public init(
        home: String,
        keyFile: String? = nil,
        keyBase64: String? = nil,
        network: NetworkSettings = NetworkSettings(),
        expiryWarning: TimeInterval = 7 * 24 * 3600,
        pushAttempts: Int = 8,
        log: Log = .silent
    ) {
        self.home = home
        self.keyFile = keyFile
        self.keyBase64 = keyBase64
        self.network = network
        self.expiryWarning = expiryWarning
        self.pushAttempts = pushAttempts
        self.log = log
    }

    /// Returns the default home: `$XDG_DATA_HOME/xapi-git`, else `~/.local/share/xapi-git`.
    public static func defaultHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return data + "/xapi-git"
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/xapi-git"
    }

    var resolvedKeyFile: String { keyFile ?? home + "/sealing.key" }
}
