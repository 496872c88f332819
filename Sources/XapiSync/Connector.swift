import Foundation
import XapiCore
import XapiGit
import XapiHTTP
import XapiPlatforms
import XapiStore

/// The connector's entry point: integrations, the APIs and models that sync through them, members
/// and the audit log, over one store.
///
/// Every operation names the acting member and checks that member's role first. Operations that
/// reach a platform verify the token over its REST API before they change anything, so a failed
/// verification leaves the store as it was.
public final class Connector: Sendable {
    public let configuration: ConnectorConfiguration
    let store: Store
    let transport: any HTTPTransport

    /// Opens the store under `configuration.home`, creating it and the sealing key on first use.
    ///
    /// NOTE: libgit2's transport settings are process-wide, so the CA file and timeouts of the Connector
    /// created last apply to every Git transfer of the process; API calls use each Connector's own.
    public init(configuration: ConnectorConfiguration) throws {
        self.configuration = configuration

        let storeFile = configuration.home + "/store.db"
        if !configuration.createsStore && !FileManager.default.fileExists(atPath: storeFile) {
            throw ConnectorError(
                .notInitialized,
                "\(configuration.home) has no xapi-git store yet; check --home or XAPI_GIT_HOME, or create an "
                    + "organization there with `xapi-git org init --owner USER`"
            )
        }

        let key: SealingKey
        do {
            if let base64 = configuration.keyBase64 {
                key = try SealingKey(base64: base64)
            } else {
                let keyFile = configuration.resolvedKeyFile
                if FileManager.default.fileExists(atPath: storeFile) && !FileManager.default.fileExists(atPath: keyFile) {
                    throw ConnectorError(
                        .failed,
                        "the sealing key file \(keyFile) is missing, but the store \(storeFile) exists; restore the key "
                            + "file or set XAPI_GIT_KEY, because a new key cannot open the stored tokens"
                    )
                }
                key = try SealingKey.loadOrCreate(path: keyFile)
            }
            self.store = try Store.open(home: configuration.home, key: key)
        } catch let error as StoreError {
            throw ConnectorError(.failed, error.description)
        }

        self.transport = HTTPClient(settings: configuration.network, log: configuration.log)
        try GitTransport.configure(configuration.network)
    }

    /// Opens a connector like `init(configuration:)`, on a thread of its own: opening the store and
    /// reading the key file are blocking calls that must not hold one of Swift's cooperative threads.
    public static func open(_ configuration: ConnectorConfiguration) async throws -> Connector {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Connector(configuration: configuration) })
            }
        }
    }

    // MARK: - Shared steps

    /// Returns the adapter for an integration's platform and server.
    func adapter(platform: Platform, baseURL: String?) throws -> any PlatformAdapter {
        do {
            return try PlatformAdapters.adapter(for: platform, baseURL: baseURL, transport: transport)
        } catch {
            throw ConnectorError(.invalidInput, String(describing: error))
        }
    }

    func verificationContext(knownExpiry: Date? = nil) -> VerificationContext {
        VerificationContext(now: configuration.now(), expiryWarning: configuration.expiryWarning, knownExpiry: knownExpiry)
    }

    /// Runs a store read off Swift's cooperative pool and turns store errors into connector errors.
    func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T) async throws -> T {
        do {
            return try await store.read(body)
        } catch let error as StoreError {
            throw ConnectorError(error)
        }
    }

    /// Runs a store transaction off Swift's cooperative pool and turns store errors into connector
    /// errors; a thrown error rolls the whole transaction back.
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws -> T) async throws -> T {
        do {
            return try await store.write(body)
        } catch let error as StoreError {
            throw ConnectorError(error)
        }
    }

    /// Checks that `actor` is a member whose role permits `action`.
    func authorize(_ actor: String, for action: Action, in reader: StoreReader) throws {
        guard try reader.isInitialized() else {
            throw ConnectorError(
                .notInitialized,
                "this home has no organization yet; run `xapi-git org init --owner USER` first"
            )
        }
        guard let member = try reader.member(actor) else {
            throw ConnectorError(
                .permissionDenied,
                "'\(actor)' is not a member of this organization; an owner or admin adds members with "
                    + "`xapi-git member add \(actor) --role ROLE`"
            )
        }
        let role = Role(rawValue: member.role) ?? .viewer
        guard role.permits(action) else {
            let allowed = action.allowedRoles.map(\.rawValue).joined(separator: ", ")
            throw ConnectorError(
                .permissionDenied,
                "\(actor) is \(role.rawValue) and may not \(action.rawValue); roles that may: \(allowed)"
            )
        }
    }

    /// Returns the stored integration named `name`, or throws a not-found error with the command that lists them.
    func requireIntegration(_ name: String, in reader: StoreReader) throws -> IntegrationRecord {
        guard let record = try reader.integration(named: name) else {
            throw ConnectorError(
                .notFound,
                "integration '\(name)' does not exist; `xapi-git integration list` shows the integrations"
            )
        }
        return record
    }
}

extension ConnectorError {
    init(_ error: StoreError) {
        switch error.kind {
        case .notFound: self.init(.notFound, error.description)
        case .alreadyExists: self.init(.alreadyExists, error.description)
        case .constraint: self.init(.invalidInput, error.description)
        default: self.init(.failed, error.description)
        }
    }
}
