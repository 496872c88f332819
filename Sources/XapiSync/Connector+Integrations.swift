import Foundation
import XapiCore
public import XapiPlatforms
public import XapiStore

extension Connector {
    /// Verifies `token` for the repository and branch of `spec` and, only when it may push, stores the
    /// integration with the token sealed.
    ///
    /// - Returns: the stored integration and the verification report.
    /// - Throws: `ConnectorError` `.verificationFailed` (with the report) when the token cannot be used;
    ///   nothing is stored then.
    public func addIntegration(_ spec: IntegrationSpec, token: AccessToken, as actor: String) async throws
        -> (IntegrationRecord, TokenReport)
    {
        let spec = try spec.validated()
        try await read { reader in
            try self.authorize(actor, for: .manageIntegrations, in: reader)
            if try reader.integration(named: spec.name) != nil {
                throw ConnectorError(
                    .alreadyExists,
                    "integration '\(spec.name)' already exists; choose another name or reconnect it with "
                        + "`xapi-git integration reconnect \(spec.name)`"
                )
            }
        }

        let adapter = try adapter(platform: spec.platform, baseURL: spec.baseURL)
        let normalized: String
        do {
            normalized = try adapter.normalizedRepository(spec.repository)
        } catch {
            throw ConnectorError(.invalidInput, String(describing: error))
        }
        var location = RepositoryLocation(
            platform: spec.platform,
            baseURL: spec.baseURL,
            repository: normalized,
            branch: spec.branch
        )
        let report = await adapter.verify(token: token, at: location, context: verificationContext())
        let branchToCreate = spec.allowMissingBranch && report.status == .branchNotFound && report.canPush != false
        guard report.permitsSync || branchToCreate, let state = IntegrationState(report: report) else {
            throw ConnectorError(
                .failedVerification(report, storedToken: false),
                "integration '\(spec.name)' was not added: \(report.detail)",
                report: report
            )
        }
        if let canonical = report.canonicalRepository {
            location.repository = canonical
        }
        let repository = location.repository

        let record = try await write { writer in
            var record = try writer.insertIntegration(
                NewIntegration(
                    name: spec.name,
                    platform: spec.platform.rawValue,
                    baseURL: spec.baseURL,
                    repository: repository,
                    branch: spec.branch,
                    folder: spec.folder,
                    credentialKind: try CredentialKindCoding.encode(token.kind),
                    token: token.secret,
                    account: report.account,
                    expiresAt: report.expiresAt,
                    scopes: report.scopes,
                    state: state,
                    stateDetail: report.detail
                )
            )
            if let projectID = report.platformProjectID {
                record = try writer.updateDetails(id: record.id, platformProjectID: .some(projectID))
            }
            try writer.appendAudit(
                actor: actor,
                action: "integration.add",
                subject: spec.name,
                before: nil,
                after: AuditValues.integration(record)
            )
            return record
        }
        return (record, report)
    }

    /// Verifies the stored token of the integration named `name` against its repository and records
    /// the resulting state, unless the token was replaced while the check ran.
    public func verifyIntegration(named name: String, as actor: String) async throws -> (IntegrationRecord, TokenReport) {
        let (record, token) = try await read { reader in
            try self.authorize(actor, for: .read, in: reader)
            let record = try self.requireIntegration(name, in: reader)
            return (record, try reader.token(for: record))
        }

        let report = try await verify(record, token: token)
        let updated = try await read { reader in try self.requireIntegration(name, in: reader) }
        return (updated, report)
    }

    /// Runs the platform check for a stored integration and records the state it leads to.
    func verify(_ record: IntegrationRecord, token: Secret) async throws -> TokenReport {
        let location = try record.location()
        let adapter = try adapter(platform: location.platform, baseURL: location.baseURL)
        let accessToken = AccessToken(kind: try CredentialKindCoding.decode(record.credentialKind), secret: token)
        let report = await adapter.verify(
            token: accessToken,
            at: location,
            context: verificationContext(knownExpiry: record.expiresAt)
        )
        try await recordState(of: record, from: report)
        try await recordPlatformFacts(of: record, from: report)
        if report.permitsSync {
            // The account, expiry and scopes as the platform reports them now; an imported integration
            // has none stored until its first check.
            try await write { writer in
                try writer.recordTokenFacts(
                    id: record.id,
                    credentialVersion: record.credentialVersion,
                    account: report.account,
                    expiresAt: report.expiresAt,
                    scopes: report.scopes
                )
            }
        }
        return report
    }

    /// Stores what the platform reported about the repository itself: its new name after a rename or
    /// transfer (the API redirected to it), and its numeric id (GitLab). Dropped, like a state, when the
    /// token was replaced since the check began.
    func recordPlatformFacts(of record: IntegrationRecord, from report: TokenReport) async throws {
        let renamed = report.canonicalRepository.flatMap { $0 == record.repository ? nil : $0 }
        let projectID = report.platformProjectID.flatMap { $0 == record.platformProjectID ? nil : $0 }
        guard renamed != nil || projectID != nil else { return }

        try await write { writer in
            guard let current = try writer.integration(id: record.id),
                current.credentialVersion == record.credentialVersion
            else { return }

            let updated = try writer.updateDetails(
                id: record.id,
                repository: renamed,
                platformProjectID: projectID.map { .some($0) }
            )
            if let renamed {
                try writer.appendAudit(
                    actor: "xapi-git",
                    action: "integration.repository-moved",
                    subject: record.name,
                    before: ["repository": current.repository],
                    after: ["repository": renamed]
                )
                self.configuration.log.info(
                    "the platform redirected to a renamed repository; stored the new name",
                    ["integration": record.name, "repository": updated.repository]
                )
            }
        }
    }

    /// Stores the state a report leads to, computed with the record's credential version so that a
    /// result for a token replaced meanwhile is dropped.
    @discardableResult
    func recordState(of record: IntegrationRecord, from report: TokenReport) async throws -> Bool {
        guard let state = IntegrationState(report: report) else { return false }
        let accepted = try await write { writer in
            try writer.recordState(
                id: record.id,
                state: state,
                detail: report.detail,
                credentialVersion: record.credentialVersion,
                at: Date()
            )
        }
        if !accepted {
            configuration.log.info(
                "dropped a verification result for a replaced token",
                ["integration": record.name, "credential_version": String(record.credentialVersion)]
            )
        }
        return accepted
    }

    /// Returns all integrations, by name.
    public func integrations(as actor: String) async throws -> [IntegrationRecord] {
        try await read { reader in
            try self.authorize(actor, for: .read, in: reader)
            return try reader.integrations()
        }
    }

    /// Returns the integration named `name`.
    public func integration(named name: String, as actor: String) async throws -> IntegrationRecord {
        try await read { reader in
            try self.authorize(actor, for: .read, in: reader)
            return try self.requireIntegration(name, in: reader)
        }
    }

    /// The state changes of the integration named `name`, oldest first, each with the credential version
    /// it was computed for.
    public func stateHistory(named name: String, as actor: String) async throws -> [StateTransition] {
        try await read { reader in
            try self.authorize(actor, for: .read, in: reader)
            let record = try self.requireIntegration(name, in: reader)
            return try reader.transitions(integrationID: record.id)
        }
    }
}

extension IntegrationRecord {
    /// Returns the repository and branch this integration writes to.
    public func location() throws -> RepositoryLocation {
        guard let platform = Platform(rawValue: platform) else {
            throw ConnectorError(.failed, "integration '\(name)' names an unknown platform '\(self.platform)'")
        }
        return RepositoryLocation(platform: platform, baseURL: baseURL, repository: repository, branch: branch)
    }
}

/// Encodes a credential kind as JSON text, because the store keeps platform details as opaque strings.
enum CredentialKindCoding {
    static func encode(_ kind: CredentialKind) throws -> String {
        String(decoding: try JSONEncoder().encode(kind), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> CredentialKind {
        do {
            return try JSONDecoder().decode(CredentialKind.self, from: Data(text.utf8))
        } catch {
            throw ConnectorError(.failed, "the stored credential kind '\(text)' cannot be read: \(error)")
        }
    }
}

/// The non-secret values of records, as audit entries show them.
enum AuditValues {
    static func integration(_ record: IntegrationRecord) -> [String: String] {
        var values = [
            "name": record.name,
            "platform": record.platform,
            "repository": record.repository,
            "branch": record.branch,
            "folder": record.folder,
            "credential_version": String(record.credentialVersion),
        ]
        values["base_url"] = record.baseURL
        values["account"] = record.account
        values["expires_at"] = record.expiresAt.map { ISO8601DateFormatter().string(from: $0) }
        return values
    }
}
