import Foundation
public import XapiPlatforms
import XapiStore

/// An integration to store without verifying it first, as `Connector.importIntegrations` takes it.
public struct ImportedIntegration: Sendable {
    public var spec: IntegrationSpec
    public var token: AccessToken

    public init(spec: IntegrationSpec, token: AccessToken) {
        self.spec = spec
        self.token = token
    }
}

extension Connector {
    /// Stores many integrations in one transaction without contacting the platforms; their state stays
    /// `unknown` until `checkHealth` or `verifyIntegration` runs.
    ///
    /// It exists for bulk set-up (migrations and benchmarks), where verifying each token on insert would
    /// take one round of API calls per integration. Each stored integration gets an audit entry.
    ///
    /// - Returns: the number of integrations stored.
    /// - Throws: `ConnectorError` `.alreadyExists` or `.invalidInput` naming the first bad entry; then
    ///   nothing is stored.
    @discardableResult
    public func importIntegrations(_ items: [ImportedIntegration], as actor: String) async throws -> Int {
        var validated: [(spec: IntegrationSpec, token: AccessToken, kind: String)] = []
        for item in items {
            validated.append((try item.spec.validated(), item.token, try CredentialKindCoding.encode(item.token.kind)))
        }
        let prepared = validated

        return try await write { writer in
            try self.authorize(actor, for: .manageIntegrations, in: writer)
            for item in prepared {
                let record = try writer.insertIntegration(
                    NewIntegration(
                        name: item.spec.name,
                        platform: item.spec.platform.rawValue,
                        baseURL: item.spec.baseURL,
                        repository: item.spec.repository,
                        branch: item.spec.branch,
                        folder: item.spec.folder,
                        credentialKind: item.kind,
                        token: item.token.secret,
                        state: .unknown,
                        stateDetail: "imported without verification"
                    )
                )
                try writer.appendAudit(
                    actor: actor,
                    action: "integration.import",
                    subject: record.name,
                    before: nil,
                    after: AuditValues.integration(record)
                )
            }
            return prepared.count
        }
    }
}
