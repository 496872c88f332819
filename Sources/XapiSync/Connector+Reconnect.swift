import Foundation
public import XapiCore
public import XapiPlatforms
public import XapiStore

/// What a reconnect would change, shown to the user before the new token replaces the old one.
public struct ReconnectReview: Sendable {
    /// The integration as stored now.
    public let integration: IntegrationRecord
    /// The verification of the new token against the integration's repository and branch.
    public let report: TokenReport
    /// Whether the new token belongs to another account than the old one.
    public var accountChanged: Bool {
        guard let old = integration.account, let new = report.account else { return false }
        return old != new
    }
    /// Field, old value and new value, for a side-by-side view.
    public var changes: [(field: String, old: String, new: String)] {
        [
            ("account", integration.account ?? "unknown", report.account ?? "unknown"),
            ("expires", Self.format(integration.expiresAt), Self.format(report.expiresAt)),
            ("scopes", integration.scopes.joined(separator: ", "), report.scopes.joined(separator: ", ")),
            ("push access", "-", report.canPush.map { $0 ? "yes" : "no" } ?? "not reported"),
        ]
    }

    let token: AccessToken

    static func format(_ date: Date?) -> String {
        guard let date else { return "never or not reported" }
        return ISO8601DateFormatter().string(from: date)
    }
}

extension Connector {
    /// Verifies `token` against the integration named `name` and returns the review of the change.
    /// Nothing is stored yet; `applyReconnect` stores the new token once the review is accepted.
    ///
    /// - Parameter kind: the new token's credential kind; nil keeps the integration's current kind.
    /// - Throws: `.verificationFailed` with the report when the new token cannot push.
    public func reviewReconnect(
        named name: String,
        token secret: Secret,
        kind: CredentialKind? = nil,
        as actor: String
    ) async throws -> ReconnectReview {
        let record = try await read { reader in
            try self.authorize(actor, for: .manageIntegrations, in: reader)
            return try self.requireIntegration(name, in: reader)
        }

        let token = AccessToken(kind: try kind ?? CredentialKindCoding.decode(record.credentialKind), secret: secret)
        let location = try record.location()
        let adapter = try adapter(platform: location.platform, baseURL: location.baseURL)
        let report = await adapter.verify(token: token, at: location, context: verificationContext())
        guard report.permitsSync else {
            throw ConnectorError(
                .failedVerification(report, storedToken: false),
                "the new token for '\(name)' was not accepted, nothing changed: \(report.detail)",
                report: report
            )
        }
        return ReconnectReview(integration: record, report: report, token: token)
    }

    /// Replaces the integration's token with the reviewed one, in one transaction with its state and
    /// audit entry. Syncs and checks use the new token from the next operation on.
    ///
    /// - Throws: `.failed` when the integration changed since the review was made; review again then.
    public func applyReconnect(_ review: ReconnectReview, as actor: String) async throws -> IntegrationRecord {
        try await write { writer in
            try self.authorize(actor, for: .manageIntegrations, in: writer)
            let current = try self.requireIntegration(review.integration.name, in: writer)
            guard current.id == review.integration.id,
                current.credentialVersion == review.integration.credentialVersion
            else {
                throw ConnectorError(
                    .failed,
                    "integration '\(current.name)' changed while the review was open; run the reconnect again"
                )
            }

            let version = try writer.replaceToken(
                id: current.id,
                token: review.token.secret,
                credentialKind: try CredentialKindCoding.encode(review.token.kind),
                account: review.report.account,
                expiresAt: review.report.expiresAt,
                scopes: review.report.scopes
            )
            let state = IntegrationState(report: review.report) ?? .active
            _ = try writer.recordState(
                id: current.id,
                state: state,
                detail: review.report.detail,
                credentialVersion: version,
                at: Date()
            )

            let updated = try self.requireIntegration(current.name, in: writer)
            try writer.appendAudit(
                actor: actor,
                action: "integration.reconnect",
                subject: current.name,
                before: AuditValues.integration(current),
                after: AuditValues.integration(updated)
            )
            return updated
        }
    }
}
