import Foundation
import XapiCore
public import XapiStore

/// The effect of removing an integration, shown before it is removed.
public struct RemovalReview: Sendable {
    /// The integration as stored now.
    public let integration: IntegrationRecord
    /// The APIs and models that sync through it. They stay, with no integration selected.
    public let targets: [TargetName]
}

extension Connector {
    /// Returns what removing the integration named `name` would do. Nothing changes yet.
    ///
    /// - Throws: `.permissionDenied` unless `actor` is an owner or admin, `.notFound` for an unknown name.
    public func reviewRemoval(named name: String, as actor: String) async throws -> RemovalReview {
        try await read { reader in
            try self.authorize(actor, for: .manageIntegrations, in: reader)
            let record = try self.requireIntegration(name, in: reader)
            let targets = try reader.targets(integrationID: record.id).map(Self.targetName(of:))
            return RemovalReview(integration: record, targets: targets)
        }
    }

    /// Removes the integration named `name` with its sealed token, state history and sync records, and
    /// deletes its Git mirror `<home>/mirrors/<uid>.git`.
    ///
    /// APIs and models that synced through it keep existing with no integration selected. The removal
    /// waits for a sync to the same repository to finish, because it holds the repository's lock while
    /// the mirror is deleted.
    ///
    /// - Returns: the review of what was removed.
    /// - Throws: `.permissionDenied` unless `actor` is an owner or admin (checked before anything else),
    ///   `.notFound` for an unknown name, `.failed` when the repository lock is not free in time.
    @discardableResult
    public func removeIntegration(named name: String, as actor: String) async throws -> RemovalReview {
        let review = try await reviewRemoval(named: name, as: actor)
        let lock = try await repositoryLock(for: review.integration)
        defer { lock.release() }

        let removed = try await write { writer in
            try self.authorize(actor, for: .manageIntegrations, in: writer)
            let record = try self.requireIntegration(name, in: writer)
            let targets = try writer.targets(integrationID: record.id).map(Self.targetName(of:))
            try writer.deleteIntegration(id: record.id)

            var before = AuditValues.integration(record)
            before["targets"] = targets.map(\.description).joined(separator: ", ")
            try writer.appendAudit(
                actor: actor,
                action: "integration.remove",
                subject: record.name,
                before: before,
                after: nil
            )
            return RemovalReview(integration: record, targets: targets)
        }

        try await deleteMirrorDirectory(of: removed.integration)
        return removed
    }

    /// Deletes the Git mirror of `record` while holding its repository's lock, so no sync uses it meanwhile.
    func removeMirror(of record: IntegrationRecord) async throws {
        let lock = try await repositoryLock(for: record)
        defer { lock.release() }
        try await deleteMirrorDirectory(of: record)
    }

    /// The mirror directory of an integration, named by its uid, which never changes.
    func mirrorPath(of record: IntegrationRecord) -> String {
        configuration.home + "/mirrors/" + record.uid + ".git"
    }

    /// Deletes the mirror directory on a thread of its own, because deleting many files blocks.
    private func deleteMirrorDirectory(of record: IntegrationRecord) async throws {
        let path = mirrorPath(of: record)
        let log = configuration.log
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                guard FileManager.default.fileExists(atPath: path) else {
                    continuation.resume()
                    return
                }
                do {
                    try FileManager.default.removeItem(atPath: path)
                    log.info("deleted the Git mirror", ["integration": record.name, "path": path])
                    continuation.resume()
                } catch {
                    continuation.resume(
                        throwing: ConnectorError(
                            .failed,
                            "integration '\(record.name)' was changed, but its Git mirror \(path) could not be "
                                + "deleted: \(error); delete the directory by hand"
                        )
                    )
                }
            }
        }
    }

    static func targetName(of record: TargetRecord) throws -> TargetName {
        guard let kind = TargetName.Kind(rawValue: record.kind) else {
            throw ConnectorError(.failed, "the stored target '\(record.name)' has the unknown kind '\(record.kind)'")
        }
        return try TargetName(kind: kind, parsing: record.name)
    }
}
