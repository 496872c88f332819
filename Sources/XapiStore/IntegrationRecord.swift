public import Foundation
public import XapiCore

/// The health of an integration's token, as the last verification found it.
public enum IntegrationState: String, Sendable, Codable, CaseIterable {
    case active
    case expiring
    case expired
    case needsAttention = "needs-attention"
    case unknown
}

/// The values of a new integration. The store adds its id, uid, credential version and times.
public struct NewIntegration: Sendable {
    public var name: String
    public var platform: String
    /// The server's base URL for a self-hosted platform, or nil for the platform's public service.
    public var baseURL: String?
    public var repository: String
    public var branch: String
    public var folder: String
    /// The caller's description of the credential (opaque to the store, stored as given).
    public var credentialKind: String
    public var token: Secret
    public var account: String?
    public var expiresAt: Date?
    public var scopes: [String]
    public var state: IntegrationState
    public var stateDetail: String

    public init(
        name: String,
        platform: String,
        baseURL: String? = nil,
        repository: String,
        branch: String,
        folder: String,
        credentialKind: String,
        token: Secret,
        account: String? = nil,
        expiresAt: Date? = nil,
        scopes: [String] = [],
        state: IntegrationState = .unknown,
        stateDetail: String = ""
    ) {
        self.name = name
        self.platform = platform
        self.baseURL = baseURL
        self.repository = repository
        self.branch = branch
        self.folder = folder
        self.credentialKind = credentialKind
        self.token = token
        self.account = account
        self.expiresAt = expiresAt
        self.scopes = scopes
        self.state = state
        self.stateDetail = stateDetail
    }
}

/// A stored integration without its token, which `StoreReader.token(for:)` unseals.
public struct IntegrationRecord: Sendable, Equatable {
    public let id: Int64
    /// A random identifier that never changes and binds the sealed token to this row.
    public let uid: String
    public let name: String
    public let platform: String
    public let baseURL: String?
    public let repository: String
    public let branch: String
    public let folder: String
    public let credentialKind: String
    /// 1 for the first token, increased by one each time the token is replaced.
    public let credentialVersion: Int64
    public let account: String?
    public let expiresAt: Date?
    public let scopes: [String]
    public let platformProjectID: String?
    public let state: IntegrationState
    public let stateDetail: String
    /// The time a verification last recorded a state for the current token, or nil before the first one.
    public let stateCheckedAt: Date?
    public let createdAt: Date
    /// The time the details or the token last changed. Recording a state does not change it.
    public let updatedAt: Date
}

extension IntegrationRecord {
    /// The columns `init(row:)` reads, in order.
    static let columns = """
        id, uid, name, platform, base_url, repository, branch, folder, credential_kind, credential_version,
        account, expires_at, scopes, platform_project_id, state, state_detail, state_checked_at, created_at,
        updated_at
        """

    init(row: SQLiteRow) throws {
        let name = row.text(2)
        let stateText = row.text(14)
        guard let state = IntegrationState(rawValue: stateText) else {
            throw StoreError(
                .corruptData,
                "integration '\(name)' has the unknown state '\(stateText)'; upgrade xapi-git to read this store"
            )
        }

        self.init(
            id: row.integer(0),
            uid: row.text(1),
            name: name,
            platform: row.text(3),
            baseURL: row.optionalText(4),
            repository: row.text(5),
            branch: row.text(6),
            folder: row.text(7),
            credentialKind: row.text(8),
            credentialVersion: row.integer(9),
            account: row.optionalText(10),
            expiresAt: row.optionalReal(11).map(Date.init(timeIntervalSince1970:)),
            scopes: try JSONColumn.decode(
                [String].self, from: row.text(12), what: "the scopes of integration '\(name)'"),
            platformProjectID: row.optionalText(13),
            state: state,
            stateDetail: row.text(15),
            stateCheckedAt: row.optionalReal(16).map(Date.init(timeIntervalSince1970:)),
            createdAt: Date(timeIntervalSince1970: row.real(17)),
            updatedAt: Date(timeIntervalSince1970: row.real(18))
        )
    }
}
