import Foundation
import XapiCore
import XapiGit
public import XapiPlatforms
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

/// The result of a sync: the commit, the paths written, and the pull request in pull request mode.
public struct SyncOutcome: Sendable {
    public let target: TargetName
    public let integration: String
    public let repository: String
    /// The branch pushed to: the integration's branch, or the sync branch in pull request mode.
    public let branch: String
    /// The new commit; nil when the files were already on the branch and nothing was pushed.
    public let commit: String?
    /// The repository paths written.
    public let paths: [String]
    /// The repository paths whose changes on the branch this sync replaced because of `--overwrite`.
    public let overwritten: [String]
    /// The branch that a missing branch was created from, or nil when the branch existed or the repository
    /// was empty.
    public let createdFrom: String?
    /// The pull or merge request in pull request mode; nil otherwise, or when nothing was pushed and no open
    /// one exists.
    public let changeRequest: ChangeRequest?

    public var pushed: Bool { commit != nil }
}

extension Connector {
    /// Commits `files` under the folder of the integration that `name` syncs to and pushes the commit.
    public func sync(_ name: TargetName, files: [SyncFile], message: String?, as actor: String) async throws
        -> SyncOutcome
    {
        try await sync(name, files: files, options: SyncOptions(message: message), as: actor)
    }

    /// Commits `files` under the folder of the integration that `name` syncs to and pushes the commit.
    ///
    /// Every file is checked first (path, size, JSON or YAML syntax, at least one API description), before
    /// any network work. The commit is built on the branch's current remote tip. When the branch moves during
    /// the push, the commit is rebuilt on the new tip and pushed again, a bounded number of times, never
    /// forced. A file that was changed on the branch since the last sync stops the sync with `.conflict`
    /// unless `options.overwrite` is set. Unchanged content makes no commit and no push. An expired
    /// integration is refused before any network work, and a token the Git server rejects marks the
    /// integration expired.
    public func sync(
        _ name: TargetName,
        files: [SyncFile],
        options: SyncOptions,
        as actor: String
    ) async throws -> SyncOutcome {
        try SyncInputCheck.check(files, maxFileSize: options.maxFileSize)

        let (target, record, token, lastSynced) = try await read { reader in
            try self.authorize(actor, for: .sync, in: reader)
            let target = try self.requireTarget(name, in: reader)
            guard let integrationID = target.integrationID, let record = try reader.integration(id: integrationID)
            else {
                throw ConnectorError(
                    .notFound,
                    "\(name) has no integration yet; choose one with "
                        + "`xapi-git \(name.kind.rawValue) switch \(name) --integration NAME`"
                )
            }
            return (target, record, try reader.token(for: record), try reader.syncedBlobs(integrationID: record.id))
        }
        let writtenBefore = try await blobsWritten(for: target)
        try await refuseIfExpired(record)

        let writes = try repositoryWrites(files, folder: record.folder)
        let location = try record.location()
        let accessToken = AccessToken(kind: try CredentialKindCoding.decode(record.credentialKind), secret: token)
        let adapter = try adapter(platform: location.platform, baseURL: location.baseURL)
        let access = try adapter.gitAccess(token: accessToken, at: location)
        let credential = GitCredential(
            username: access.username, password: access.password, sendsBearer: access.sendsBearer)
        let changeRequests = options.viaPullRequest ? try changeRequestClient(at: location, token: accessToken) : nil

        let lock = try await repositoryLock(for: record)
        defer { lock.release() }

        let plan = PushPlan(
            target: name,
            writes: writes,
            blobs: try writes.map { try GitObjectID.blob(of: $0.contents) },
            record: record,
            branch: options.viaPullRequest ? Self.syncBranch(for: name) : record.branch,
            baseBranch: options.viaPullRequest ? record.branch : nil,
            remoteURL: access.url,
            credential: credential,
            lastSynced: lastSynced,
            writtenBefore: writtenBefore,
            options: options,
            message: options.message.flatMap { $0.trimmingWhitespaceAndNewlines().isEmpty ? nil : $0 } ?? "Sync \(name) from xapi-git",
            author: GitSignature(name: actor, email: "\(actor)@users.xapi-git.invalid", date: Date())
        )
        let pushed: PushResult
        do {
            pushed = try await pushCommit(plan)
        } catch let error as GitError where error.kind == .authenticationFailed {
            throw try await expiredAfterGitRejection(record, token: token, gitError: error)
        }

        var changeRequest: ChangeRequest?
        if let changeRequests {
            changeRequest = try await openChangeRequest(changeRequests, plan: plan, pushed: pushed.commit != nil)
        }

        let syncedFiles = zip(writes, plan.blobs).map { SyncedFile(path: $0.path, blob: $1.hex) }
        var audit = [
            "integration": record.name,
            "branch": plan.branch,
            "commit": pushed.commit?.hex ?? "unchanged",
            "files": writes.map(\.path).joined(separator: ", "),
        ]
        if !pushed.overwritten.isEmpty {
            audit["overwritten"] = pushed.overwritten.joined(separator: ", ")
        }
        if let changeRequest {
            audit["change_request"] = changeRequest.webURL
        }
        let auditEntry = audit
        try await write { writer in
            try writer.recordSync(
                targetID: target.id,
                integrationID: record.id,
                commit: pushed.commit?.hex,
                files: syncedFiles,
                actor: actor,
                at: Date()
            )
            // The synced blobs describe the integration's branch, which a pull request sync does not change.
            if !options.viaPullRequest {
                try writer.setSyncedBlobs(
                    integrationID: record.id,
                    Dictionary(syncedFiles.map { ($0.path, $0.blob) }, uniquingKeysWith: { _, last in last })
                )
            }
            try writer.appendAudit(
                actor: actor,
                action: pushed.overwritten.isEmpty ? "sync" : "sync.overwrite",
                subject: name.description,
                before: nil,
                after: auditEntry
            )
        }

        return SyncOutcome(
            target: name,
            integration: record.name,
            repository: record.repository,
            branch: plan.branch,
            commit: pushed.commit?.hex,
            paths: writes.map(\.path),
            overwritten: pushed.overwritten,
            createdFrom: pushed.createdFrom,
            changeRequest: changeRequest
        )
    }

    /// Places each file under the integration's folder; the paths were validated by `SyncInputCheck`.
    func repositoryWrites(_ files: [SyncFile], folder: String) throws -> [FileWrite] {
        var seen = Set<[UInt8]>()
        return try files.map { file in
            try RepositoryPath.validate(file.path, what: "file path")
            let path = folder.isEmpty ? file.path : folder + "/" + file.path
            // Compared as bytes: Swift's String equality would merge two spellings of one accented name.
            guard seen.insert(Array(path.utf8)).inserted else {
                throw ConnectorError(.invalidInput, "the file path '\(file.path)' is given twice")
            }
            return FileWrite(path: path, contents: file.contents)
        }
    }

    /// Classifies a token that the Git server rejected: verifies it over the platform's API, records the state,
    /// and returns the error to throw.
    func expiredAfterGitRejection(_ record: IntegrationRecord, token: Secret, gitError: GitError) async throws
        -> ConnectorError
    {
        let report = try await verify(record, token: token)
        if report.tokenIsDead {
            return ConnectorError(
                .integrationExpired,
                "integration '\(record.name)' has expired: the platform no longer accepts its token (\(report.detail)) "
                    + "Reconnect it with a new token: `xapi-git integration reconnect \(record.name) --token-stdin`",
                report: report
            )
        }
        return ConnectorError(
            .failed, "the Git server rejected the token of '\(record.name)': \(gitError.message)", report: report)
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

extension Connector {
    /// Returns every blob id that earlier syncs of `target` wrote, by repository path, through any
    /// integration and to any branch. Content on the branch that xapi-git itself wrote for this API version
    /// or model (a merged pull request, or a sync through another integration of the same repository) is
    /// then no conflict.
    func blobsWritten(for target: TargetRecord) async throws -> [String: Set<String>] {
        let syncs = try await read { reader in try reader.syncs(targetID: target.id, limit: 1000) }
        var written: [String: Set<String>] = [:]
        for sync in syncs {
            for file in sync.files {
                written[file.path, default: []].insert(file.blob)
            }
        }
        return written
    }
}
