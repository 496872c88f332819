public import Foundation
import XapiCore
import XapiGit
import XapiPlatforms
import XapiStore

/// One file of a sync: its path below the integration's folder and its exact bytes.
public struct SyncFile: Sendable {
    /// The path relative to the integration's folder, `/`-separated.
    public var path: String
    public var contents: [UInt8]

    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }
}

/// What a sync did.
public struct SyncOutcome: Sendable {
    public let target: TargetName
    public let integration: String
    public let repository: String
    public let branch: String
    /// The new commit; nil when the files were already on the branch and nothing was pushed.
    public let commit: String?
    /// The repository paths written.
    public let paths: [String]

    public var pushed: Bool { commit != nil }
}

extension Connector {
    /// Commits `files` under the folder of the integration that `name` syncs to and pushes the commit.
    ///
    /// The commit is built on the branch's current remote tip; when the branch moves during the push,
    /// the commit is rebuilt on the new tip and pushed again, a bounded number of times, never forced.
    /// Unchanged content makes no commit and no push. An expired integration is refused before any
    /// network work, and a token the Git server rejects marks the integration expired.
    public func sync(_ name: TargetName, files: [SyncFile], message: String?, as actor: String) async throws -> SyncOutcome {
        guard !files.isEmpty else {
            throw ConnectorError(.invalidInput, "no files to sync; pass at least one --file PATH")
        }

        let (target, record, token) = try await read { reader in
            try self.authorize(actor, for: .sync, in: reader)
            let target = try self.requireTarget(name, in: reader)
            guard let integrationID = target.integrationID, let record = try reader.integration(id: integrationID) else {
                throw ConnectorError(
                    .notFound,
                    "\(name) has no integration yet; choose one with `xapi-git \(name.kind.rawValue) switch \(name) --integration NAME`"
                )
            }
            return (target, record, try reader.token(for: record))
        }
        try await refuseIfExpired(record)

        let writes = try repositoryWrites(files, folder: record.folder)
        let location = try record.location()
        let adapter = try adapter(platform: location.platform, baseURL: location.baseURL)
        let access = try adapter.gitAccess(
            token: AccessToken(kind: try CredentialKindCoding.decode(record.credentialKind), secret: token),
            at: location
        )
        let credential = GitCredential(username: access.username, password: access.password, sendsBearer: access.sendsBearer)

        let lock = try await repositoryLock(for: record)
        defer { lock.release() }

        let commit: GitObjectID?
        do {
            commit = try await pushCommit(
                writes: writes,
                record: record,
                remoteURL: access.url,
                credential: credential,
                message: message ?? "Sync \(name) from xapi-git",
                author: GitSignature(name: actor, email: "\(actor)@users.xapi-git.invalid", date: Date())
            )
        } catch let error as GitError where error.kind == .authenticationFailed {
            throw try await expiredAfterGitRejection(record, token: token, gitError: error)
        }

        let syncedFiles = try writes.map { SyncedFile(path: $0.path, blob: try GitObjectID.blob(of: $0.contents).hex) }
        try await write { writer in
            try writer.recordSync(
                targetID: target.id,
                integrationID: record.id,
                commit: commit?.hex,
                files: syncedFiles,
                actor: actor,
                at: Date()
            )
            try writer.setSyncedBlobs(
                integrationID: record.id,
                Dictionary(uniqueKeysWithValues: syncedFiles.map { ($0.path, $0.blob) })
            )
            try writer.appendAudit(
                actor: actor,
                action: "sync",
                subject: name.description,
                before: nil,
                after: [
                    "integration": record.name,
                    "commit": commit?.hex ?? "unchanged",
                    "files": writes.map(\.path).joined(separator: ", "),
                ]
            )
        }

        return SyncOutcome(
            target: name,
            integration: record.name,
            repository: record.repository,
            branch: record.branch,
            commit: commit?.hex,
            paths: writes.map(\.path)
        )
    }

    /// Validates each file's path and places it under the integration's folder.
    func repositoryWrites(_ files: [SyncFile], folder: String) throws -> [FileWrite] {
        var seen = Set<String>()
        return try files.map { file in
            try RepositoryPath.validate(file.path, what: "file path")
            let path = folder.isEmpty ? file.path : folder + "/" + file.path
            guard seen.insert(path).inserted else {
                throw ConnectorError(.invalidInput, "the file path '\(file.path)' is given twice")
            }
            return FileWrite(path: path, contents: file.contents)
        }
    }

    /// Fetches the branch, builds the commit on its tip and pushes it, rebuilding when the branch moved.
    func pushCommit(
        writes: [FileWrite],
        record: IntegrationRecord,
        remoteURL: String,
        credential: GitCredential,
        message: String,
        author: GitSignature
    ) async throws -> GitObjectID? {
        let mirror = try await Mirror.open(at: configuration.home + "/mirrors/" + record.uid + ".git", remoteURL: remoteURL)
        let timeout = configuration.network.operationTimeout

        var attempt = 1
        while true {
            let tip = try await mirror.fetch(branch: record.branch, credential: credential, timeout: timeout)
            if tip == nil {
                try await refuseMissingBranch(record, mirror: mirror, credential: credential)
            }
            guard let commit = try await mirror.makeCommit(parent: tip, writes: writes, message: message, author: author) else {
                configuration.log.debug("content unchanged, nothing to push", ["integration": record.name])
                return nil
            }

            do {
                try await mirror.push(commit, to: record.branch, credential: credential, timeout: timeout)
                return commit
            } catch let error as GitError where error.kind == .nonFastForward && attempt < configuration.pushAttempts {
                configuration.log.info(
                    "branch moved during the push; rebuilding on the new tip",
                    ["integration": record.name, "attempt": String(attempt)]
                )
                attempt += 1
            } catch let error as GitError where error.kind == .pushRejected || error.kind == .nonFastForward {
                throw ConnectorError(.pushRejected, "the push to \(record.repository) (\(record.branch)) was refused: \(error.message)")
            }
        }
    }

    /// Throws unless the repository is empty, in which case the first commit creates the branch.
    func refuseMissingBranch(_ record: IntegrationRecord, mirror: Mirror, credential: GitCredential) async throws {
        let defaultBranch = try await mirror.remoteDefaultBranch(
            credential: credential,
            timeout: configuration.network.operationTimeout
        )
        guard let defaultBranch else { return }
        throw ConnectorError(
            .notFound,
            "branch '\(record.branch)' does not exist in \(record.repository); its default branch is '\(defaultBranch)'. "
                + "Create the branch on the platform or point the integration at '\(defaultBranch)'"
        )
    }

    /// Classifies a token that the Git server rejected: asks the platform's API, records the state,
    /// and returns the error to throw.
    func expiredAfterGitRejection(_ record: IntegrationRecord, token: Secret, gitError: GitError) async throws -> ConnectorError {
        let report = try await verify(record, token: token)
        if report.tokenIsDead {
            return ConnectorError(
                .integrationExpired,
                "integration '\(record.name)' has expired: the platform no longer accepts its token (\(report.detail)) "
                    + "Reconnect it with a new token: `xapi-git integration reconnect \(record.name) --token-stdin`",
                report: report
            )
        }
        return ConnectorError(.failed, "the Git server refused the token of '\(record.name)': \(gitError.message)", report: report)
    }

    /// Takes the cross-process lock of the integration's repository, so that syncs to one repository
    /// run one at a time.
    func repositoryLock(for record: IntegrationRecord) async throws -> RepositoryLock {
        let name = [record.platform, record.baseURL ?? "default", record.repository].joined(separator: " ")
        do {
            return try await RepositoryLock.acquire(
                home: configuration.home,
                name: name,
                timeout: configuration.network.operationTimeout,
                log: configuration.log
            )
        } catch let error as StoreError {
            throw ConnectorError(error)
        }
    }
}
