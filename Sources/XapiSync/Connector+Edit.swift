import Foundation
import XapiCore
public import XapiPlatforms
public import XapiStore

/// The details of an integration that an edit changes. A nil field keeps the stored value.
public struct IntegrationChanges: Sendable, Equatable {
    public var name: String?
    public var repository: String?
    public var branch: String?
    /// The folder inside the repository. An empty string means the repository's root.
    public var folder: String?
    /// The server's base URL. An empty string clears it, so the platform's public service is used.
    public var baseURL: String?

    public init(
        name: String? = nil,
        repository: String? = nil,
        branch: String? = nil,
        folder: String? = nil,
        baseURL: String? = nil
    ) {
        self.name = name
        self.repository = repository
        self.branch = branch
        self.folder = folder
        self.baseURL = baseURL
    }
}

/// One detail that a change sets from `old` to `new`, for a side-by-side view.
public struct FieldChange: Sendable, Equatable {
    public let field: String
    public let old: String
    public let new: String

    public init(field: String, old: String, new: String) {
        self.field = field
        self.old = old
        self.new = new
    }
}

/// A proposed edit with a live check of the new location, shown before anything is stored.
public struct EditReview: Sendable {
    /// The integration as stored when the review was made.
    public let integration: IntegrationRecord
    /// The details that differ, old and new side by side.
    public let changes: [FieldChange]
    /// The verification of the stored token against the new repository and branch.
    public let report: TokenReport

    let edited: EditedDetails
}

/// The complete set of details after an edit, validated and with the repository as the platform spells it.
struct EditedDetails: Sendable, Equatable {
    var name: String
    var repository: String
    var branch: String
    var folder: String
    var baseURL: String?

    init(_ record: IntegrationRecord) {
        name = record.name
        repository = record.repository
        branch = record.branch
        folder = record.folder
        baseURL = record.baseURL
    }

    /// Returns the side-by-side list of the details that differ from `record`.
    func changes(from record: IntegrationRecord) -> [FieldChange] {
        let pairs: [(String, String, String)] = [
            ("name", record.name, name),
            ("repository", record.repository, repository),
            ("branch", record.branch, branch),
            ("folder", Self.folderText(record.folder), Self.folderText(folder)),
            ("base URL", record.baseURL ?? "(platform default)", baseURL ?? "(platform default)"),
        ]
        return pairs.filter { $0.1 != $0.2 }.map { FieldChange(field: $0.0, old: $0.1, new: $0.2) }
    }

    /// Whether the edit points the integration at another repository or server.
    func movesRepository(from record: IntegrationRecord) -> Bool {
        repository != record.repository || baseURL != record.baseURL
    }

    private static func folderText(_ folder: String) -> String {
        folder.isEmpty ? "(repository root)" : folder
    }
}

extension Connector {
    /// Checks an edit of the integration named `name` and returns its review. Nothing is stored yet.
    ///
    /// The review verifies the stored token against the new repository and branch, so an edit that
    /// would leave the integration unable to push is rejected here. `applyEdit` stores a reviewed edit.
    ///
    /// - Throws: `.permissionDenied` unless `actor` is an owner or admin (checked before any network
    ///   call), `.invalidInput` for an invalid value or an edit that changes nothing, `.alreadyExists`
    ///   for a taken name, `.verificationFailed` with the report when the live check fails.
    public func reviewEdit(named name: String, changes: IntegrationChanges, as actor: String) async throws
        -> EditReview
    {
        let (record, token) = try await read { reader in
            try self.authorize(actor, for: .manageIntegrations, in: reader)
            let record = try self.requireIntegration(name, in: reader)
            return (record, try reader.token(for: record))
        }

        var edited = try Self.apply(changes, to: record)
        guard !edited.changes(from: record).isEmpty else {
            throw ConnectorError(
                .invalidInput,
                "the edit of '\(name)' changes nothing; pass at least one of --name, --repo, --branch, --folder "
                    + "or --base-url with a new value"
            )
        }
        if edited.name != record.name {
            let newName = edited.name
            try await read { reader in
                if try reader.integration(named: newName) != nil {
                    throw ConnectorError(
                        .alreadyExists,
                        "cannot rename '\(name)' to '\(newName)': an integration with that name exists; pick another name"
                    )
                }
            }
        }

        // Live check: the stored token against the new location.
        let platform = try record.location().platform
        let location = RepositoryLocation(
            platform: platform,
            baseURL: edited.baseURL,
            repository: edited.repository,
            branch: edited.branch
        )
        let adapter = try adapter(platform: platform, baseURL: edited.baseURL)
        let accessToken = AccessToken(kind: try CredentialKindCoding.decode(record.credentialKind), secret: token)
        let report = await adapter.verify(
            token: accessToken,
            at: location,
            context: verificationContext(knownExpiry: record.expiresAt)
        )
        guard report.permitsSync else {
            throw ConnectorError(
                .failedVerification(report, storedToken: true),
                "integration '\(name)' was not changed: the live check of \(edited.repository) (\(edited.branch)) "
                    + "failed: \(report.detail)",
                report: report
            )
        }
        if let canonical = report.canonicalRepository {
            edited.repository = canonical
        }

        return EditReview(integration: record, changes: edited.changes(from: record), report: report, edited: edited)
    }

    /// Stores a reviewed edit together with the state its live check found and an audit entry.
    ///
    /// When the edit moves the integration to another repository or server, its local Git mirror is
    /// deleted as well, so the next sync starts from the new repository.
    ///
    /// - Throws: `.failed` when the integration changed since the review was made (review again then),
    ///   `.alreadyExists` when another integration took the new name meanwhile.
    public func applyEdit(_ review: EditReview, as actor: String) async throws -> IntegrationRecord {
        let edited = review.edited
        let original = review.integration
        let updated = try await write { writer in
            try self.authorize(actor, for: .manageIntegrations, in: writer)
            guard let current = try writer.integration(id: original.id), Self.sameDetails(current, original) else {
                throw ConnectorError(
                    .failed,
                    "integration '\(original.name)' changed or was removed while the review was open; nothing "
                        + "changed, so run the edit again"
                )
            }

            let moves = edited.movesRepository(from: current)
            // TODO: the synced blob ids stay keyed to the old repository, branch and folder after a move.
            let updated: IntegrationRecord
            do {
                updated = try writer.updateDetails(
                    id: current.id,
                    name: edited.name,
                    repository: edited.repository,
                    branch: edited.branch,
                    folder: edited.folder,
                    baseURL: .some(edited.baseURL),
                    platformProjectID: moves ? .some(review.report.platformProjectID) : nil
                )
            } catch let error as StoreError {
                throw ConnectorError(error)
            }
            if let state = IntegrationState(report: review.report) {
                try writer.recordState(
                    id: current.id,
                    state: state,
                    detail: review.report.detail,
                    credentialVersion: current.credentialVersion,
                    at: Date()
                )
            }

            try writer.appendAudit(
                actor: actor,
                action: "integration.edit",
                subject: current.name,
                before: AuditValues.integration(current),
                after: AuditValues.integration(updated)
            )
            return try self.requireIntegration(updated.name, in: writer)
        }

        if edited.movesRepository(from: original) {
            try await removeMirror(of: original)
        }
        return updated
    }

    /// Returns the details of `record` with `changes` applied and checked.
    static func apply(_ changes: IntegrationChanges, to record: IntegrationRecord) throws -> EditedDetails {
        var edited = EditedDetails(record)
        if let name = changes.name {
            guard IntegrationSpec.isValidName(name) else {
                throw ConnectorError(
                    .invalidInput,
                    "'\(name)' is not a valid integration name; use 1 to 64 letters, digits, '.', '_' or '-'"
                )
            }
            edited.name = name
        }
        if let repository = changes.repository {
            guard !repository.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConnectorError(.invalidInput, "the new repository is missing; pass it with --repo as OWNER/REPO or the platform's path")
            }
            edited.repository = repository
        }
        if let branch = changes.branch {
            guard IntegrationSpec.isValidBranch(branch) else {
                throw ConnectorError(.invalidInput, "'\(branch)' is not a valid branch name; pass a Git branch name such as release")
            }
            edited.branch = branch
        }
        if let folder = changes.folder {
            edited.folder = try RepositoryPath.normalizedFolder(folder)
        }
        if let baseURL = changes.baseURL {
            edited.baseURL = baseURL.isEmpty ? nil : baseURL
        }
        return edited
    }

    /// Whether two records of one integration agree on everything an edit reads or writes.
    static func sameDetails(_ current: IntegrationRecord, _ original: IntegrationRecord) -> Bool {
        current.uid == original.uid && current.name == original.name && current.repository == original.repository
            && current.branch == original.branch && current.folder == original.folder
            && current.baseURL == original.baseURL && current.credentialVersion == original.credentialVersion
    }
}
