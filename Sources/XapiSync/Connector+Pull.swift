import Foundation
import XapiGit
import XapiPlatforms
import XapiStore

/// The files that a pull read from the integration's branch, and the commit they come from.
public struct PullOutcome: Sendable {
    public let target: TargetName
    public let repository: String
    public let branch: String
    /// The branch's commit that the files come from.
    public let commit: String
    /// The files as they are on the branch, with paths relative to the integration's folder, like the
    /// paths a sync takes.
    public let files: [SyncFile]
    /// Repository paths of the last sync that the branch no longer has.
    public let missing: [String]
}

extension Connector {
    /// Reads the files of `name`'s last sync from the integration's branch as they are now.
    ///
    /// The paths are the ones the last sync of `name` recorded, not every file under the integration's folder,
    /// so files of other targets that share the folder are left out. The branch is fetched first, so edits
    /// made on the platform are included.
    ///
    /// - Throws: `.notFound` when `name` has no integration, no recorded sync, or the branch is missing.
    public func pull(_ name: TargetName, as actor: String) async throws -> PullOutcome {
        let (record, token, lastSync) = try await read { reader in
            try self.authorize(actor, for: .read, in: reader)
            let target = try self.requireTarget(name, in: reader)
            guard let integrationID = target.integrationID, let record = try reader.integration(id: integrationID)
            else {
                throw ConnectorError(
                    .notFound,
                    "\(name) has no integration yet; choose one with "
                        + "`xapi-git \(name.kind.rawValue) switch \(name) --integration NAME`"
                )
            }
            return (record, try reader.token(for: record), try reader.lastSync(targetID: target.id))
        }
        guard let lastSync, !lastSync.files.isEmpty else {
            throw ConnectorError(
                .notFound, "\(name) has no recorded sync, so there are no files to pull; sync it first")
        }
        try await refuseIfExpired(record)

        let location = try record.location()
        let accessToken = AccessToken(kind: try CredentialKindCoding.decode(record.credentialKind), secret: token)
        let access = try adapter(platform: location.platform, baseURL: location.baseURL)
            .gitAccess(token: accessToken, at: location)
        let credential = GitCredential(
            username: access.username, password: access.password, sendsBearer: access.sendsBearer)

        let lock = try await repositoryLock(for: record)
        defer { lock.release() }

        let mirror = try await Mirror.open(
            at: configuration.home + "/mirrors/" + record.uid + ".git", remoteURL: access.url)
        let tip: GitObjectID?
        do {
            tip = try await mirror.fetch(
                branch: record.branch, credential: credential, timeout: configuration.network.operationTimeout)
        } catch let error as GitError where error.kind == .authenticationFailed {
            throw try await expiredAfterGitRejection(record, token: token, gitError: error)
        }
        guard let tip else {
            throw ConnectorError(
                .notFound,
                "branch '\(record.branch)' does not exist in \(record.repository), so there is nothing to pull")
        }

        let prefix = record.folder.isEmpty ? "" : record.folder + "/"
        var files: [SyncFile] = []
        var missing: [String] = []
        for synced in lastSync.files {
            guard let contents = try await mirror.fileContents(at: synced.path, in: tip) else {
                missing.append(synced.path)
                continue
            }
            let relative = synced.path.hasPrefix(prefix) ? String(synced.path.dropFirst(prefix.count)) : synced.path
            files.append(SyncFile(path: relative, contents: contents))
        }

        return PullOutcome(
            target: name,
            repository: record.repository,
            branch: record.branch,
            commit: tip.hex,
            files: files,
            missing: missing
        )
    }
}
