import Foundation
public import XapiPlatforms
import XapiStore

/// An integration to store without verifying it first, as `Connector.importIntegrations` takes it.
public struct ImportedIntegration: Sendable {
    public var spec: IntegrationSpec
    public var token: AccessToken
    /// The line of the import file that the entry comes from, for error messages. When it is nil, messages
    /// name the entry by its position in the list.
    public var line: Int?

    public init(spec: IntegrationSpec, token: AccessToken, line: Int? = nil) {
        self.spec = spec
        self.token = token
        self.line = line
    }
}

extension Connector {
    /// Stores many integrations in one transaction without contacting the platforms; their state stays
    /// `unknown` until `checkHealth` or `verifyIntegration` runs.
    ///
    /// It exists for bulk set-up (migrations and benchmarks), where verifying each token on insert would
    /// take one round of API calls per integration. Each stored integration gets an audit entry.
    ///
    /// Each entry passes the checks of `addIntegration` that need no network. These are the name, branch
    /// and folder rules, and a base URL that the platform's adapter accepts (https, or plain http to a
    /// loopback host only). The repository name must be one the adapter can normalize, and the normalized
    /// form is stored.
    ///
    /// - Returns: the number of integrations stored.
    /// - Throws: `ConnectorError` `.alreadyExists` or `.invalidInput` naming the first bad entry by its
    ///   line (or position) and the problem; then nothing is stored.
    @discardableResult
    public func importIntegrations(_ items: [ImportedIntegration], as actor: String) async throws -> Int {
        var validated: [(spec: IntegrationSpec, token: AccessToken, kind: String)] = []
        var names: Set<String> = []
        for (position, item) in items.enumerated() {
            let entry = item.line.map { "line \($0)" } ?? "entry \(position + 1)"
            guard names.insert(item.spec.name).inserted else {
                throw ConnectorError(
                    .alreadyExists,
                    "\(entry) repeats the integration name '\(item.spec.name)', so nothing was imported; "
                        + "give each integration its own name")
            }
            do {
                validated.append((try importable(item.spec), item.token, try CredentialKindCoding.encode(item.token.kind)))
            } catch let error as ConnectorError {
                throw ConnectorError(
                    error.kind, "\(entry) ('\(item.spec.name)') was not imported, nor was any other: \(error.message)")
            }
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

    /// Returns `spec` as `addIntegration` would store it, without verifying the token: validated, with the
    /// folder and repository normalized.
    ///
    /// - Throws: `ConnectorError` `.invalidInput` when a rule rejects the name, branch, folder, base URL or
    ///   repository.
    private func importable(_ spec: IntegrationSpec) throws -> IntegrationSpec {
        var checked = try spec.validated()
        let adapter = try adapter(platform: checked.platform, baseURL: checked.baseURL)
        do {
            checked.repository = try adapter.normalizedRepository(checked.repository)
        } catch {
            throw ConnectorError(.invalidInput, String(describing: error))
        }
        return checked
    }
}
