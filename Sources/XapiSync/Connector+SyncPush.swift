import Foundation
import XapiGit
import XapiStore

/// Everything a sync's push needs, fixed before the first network call.
struct PushPlan: Sendable {
    let target: TargetName
    let writes: [FileWrite]
    /// The blob id of each write's contents, in the order of `writes`.
    let blobs: [GitObjectID]
    let record: IntegrationRecord
    /// The branch the commit goes to.
    let branch: String
    /// In pull request mode, the integration's branch that the sync branch starts from; nil otherwise.
    let baseBranch: String?
    let remoteURL: String
    let credential: GitCredential
    /// The blob id that the last sync through the integration wrote, by repository path.
    let lastSynced: [String: String]
    /// Every blob id that earlier syncs of the same API version or model wrote, by repository path.
    let writtenBefore: [String: Set<String>]
    let options: SyncOptions
    let message: String
    let author: GitSignature
}

/// The result of the push step.
struct PushResult: Sendable {
    /// The pushed commit, or nil when the branch already had the content.
    let commit: GitObjectID?
    /// The paths whose changes on the branch were replaced because the plan allowed overwriting.
    let overwritten: [String]
    /// The branch a missing branch was created from.
    let createdFrom: String?
}

/// A file that changed on the branch since the last sync.
struct ChangedFile {
    let path: String
    /// The kind of change, for the message: "was changed", "was deleted", "exists but was never written by a sync".
    let change: String
}

extension Connector {
    /// Fetches the branch, checks for conflicting changes, builds the commit on its tip and pushes it,
    /// rebuilding when the branch moved.
    func pushCommit(_ plan: PushPlan) async throws -> PushResult {
        let record = plan.record
        let mirror = try await Mirror.open(
            at: configuration.home + "/mirrors/" + record.uid + ".git", remoteURL: plan.remoteURL)
        let timeout = configuration.network.operationTimeout

        var attempt = 1
        while true {
            var tip = try await mirror.fetch(branch: plan.branch, credential: plan.credential, timeout: timeout)
            var createdFrom: String?
            if tip == nil {
                (tip, createdFrom) = try await startingPoint(plan, mirror: mirror)
            }

            let onBranch = try await mirror.blobIDs(at: plan.writes.map(\.path), in: tip)
            let changed = changedFiles(plan, onBranch: onBranch)
            if !changed.isEmpty, !plan.options.overwrite {
                throw conflictError(plan, changed: changed, tip: tip)
            }
            // Equal blob ids mean equal bytes, so an unchanged sync skips compressing the files into the mirror.
            if tip != nil, createdFrom == nil, zip(plan.writes, plan.blobs).allSatisfy({ onBranch[$0.path] == $1 }) {
                configuration.log.debug("content unchanged, nothing to push", ["integration": record.name])
                return PushResult(commit: nil, overwritten: [], createdFrom: nil)
            }

            // A branch created from the default branch is pushed even when the files are already there. A sync
            // branch is not, because a pull request without changes has nothing to review.
            let newCommit = try await mirror.makeCommit(
                parent: tip, writes: plan.writes, message: plan.message, author: plan.author)
            let creatingBranch = createdFrom != nil && plan.baseBranch == nil
            guard let commit = newCommit ?? (creatingBranch ? tip : nil) else {
                configuration.log.debug("content unchanged, nothing to push", ["integration": record.name])
                return PushResult(commit: nil, overwritten: [], createdFrom: nil)
            }

            do {
                try await mirror.push(commit, to: plan.branch, credential: plan.credential, timeout: timeout)
                if !changed.isEmpty {
                    configuration.log.info(
                        "overwrote files changed on the branch",
                        ["integration": record.name, "paths": changed.map(\.path).joined(separator: ", ")]
                    )
                }
                return PushResult(commit: commit, overwritten: changed.map(\.path), createdFrom: createdFrom)
            } catch let error as GitError where error.kind == .nonFastForward || error.kind == .pushRejected {
                // Another push that moved the branch after the server advertised the old tip makes git reject
                // the update with "cannot lock ref … is at X but expected Y": the same race as a non-fast-forward.
                // Any other rejection leaves the branch where it was, so the fetch tells the two apart.
                if error.kind == .pushRejected {
                    let current = try await mirror.fetch(branch: plan.branch, credential: plan.credential, timeout: timeout)
                    guard current != tip else {
                        throw ConnectorError(
                            .pushRejected, "the push to \(record.repository) (\(plan.branch)) was refused: \(error.message)"
                        )
                    }
                }
                guard attempt < configuration.pushAttempts else {
                    throw ConnectorError(
                        .pushRejected,
                        "the push to \(record.repository) (\(plan.branch)) was refused \(attempt) times because other "
                            + "pushes moved the branch each time; nothing of this sync was pushed; sync again. "
                            + "Last refusal: \(error.message)"
                    )
                }
                configuration.log.info(
                    "branch moved during the push; rebuilding on the new tip",
                    ["integration": record.name, "attempt": String(attempt), "rejection": error.message]
                )
                try await Task.sleep(for: Self.pushRetryDelay(after: attempt))
                attempt += 1
            }
        }
    }

    /// Returns a random wait before push attempt `attempt + 1`, up to 200 ms doubled per attempt and at most
    /// 3.2 s. Pushers that lost the same race would otherwise fetch and push again in step and collide again.
    static func pushRetryDelay(after attempt: Int) -> Duration {
        let ceiling = 200 << min(max(attempt - 1, 0), 4)
        return .milliseconds(Int.random(in: ceiling / 4...ceiling))
    }

    /// Returns the commit to build on when the plan's branch does not exist on the remote, and the branch it
    /// comes from.
    ///
    /// An empty repository gives no commit, so the first commit creates the branch. In pull request mode the
    /// sync branch starts at the integration's branch. Otherwise a missing branch is an error naming the
    /// default branch, unless the plan creates the branch from the default branch.
    func startingPoint(_ plan: PushPlan, mirror: Mirror) async throws -> (GitObjectID?, String?) {
        let record = plan.record
        let timeout = configuration.network.operationTimeout
        let defaultBranch = try await mirror.remoteDefaultBranch(credential: plan.credential, timeout: timeout)

        if let base = plan.baseBranch {
            guard let tip = try await mirror.fetch(branch: base, credential: plan.credential, timeout: timeout) else {
                let hint = defaultBranch.map { "its default branch is '\($0)'" } ?? "the repository is empty"
                throw ConnectorError(
                    .notFound,
                    "branch '\(base)' does not exist in \(record.repository), so a pull request cannot target it; "
                        + "\(hint). Sync once without --via-pull-request, or point the integration at another branch"
                )
            }
            return (tip, base)
        }

        guard let defaultBranch else {
            configuration.log.info(
                "the repository is empty; the first commit creates the branch", ["branch": plan.branch])
            return (nil, nil)
        }
        guard plan.options.createBranch else {
            throw ConnectorError(
                .notFound,
                "branch '\(plan.branch)' does not exist in \(record.repository); its default branch is "
                    + "'\(defaultBranch)'. Pass --create-branch to create it from '\(defaultBranch)', or point the "
                    + "integration at '\(defaultBranch)'"
            )
        }
        guard let tip = try await mirror.fetch(branch: defaultBranch, credential: plan.credential, timeout: timeout)
        else {
            throw ConnectorError(
                .failed,
                "the default branch '\(defaultBranch)' of \(record.repository) disappeared while the sync read it; "
                    + "sync again"
            )
        }
        return (tip, defaultBranch)
    }

    /// Returns the files that this sync writes and that someone changed on the branch since the last sync,
    /// given the blob ids on the branch by path.
    ///
    /// A file counts as changed when the branch's blob differs from both the new contents and the blob the
    /// last sync wrote. A file on the branch that no sync wrote, or that the branch deleted, counts too, so
    /// nothing someone else wrote is replaced silently.
    func changedFiles(_ plan: PushPlan, onBranch: [String: GitObjectID]) -> [ChangedFile] {
        var changed: [ChangedFile] = []
        for (write, blob) in zip(plan.writes, plan.blobs) {
            let current = onBranch[write.path]
            if current == blob {
                continue
            }
            if let current, plan.writtenBefore[write.path]?.contains(current.hex) == true {
                continue
            }
            switch (current, plan.lastSynced[write.path]) {
            case (nil, nil):
                continue
            case (nil, .some):
                changed.append(ChangedFile(path: write.path, change: "was deleted"))
            case (.some, nil):
                changed.append(ChangedFile(path: write.path, change: "exists but was never written by a sync"))
            case (.some(let current), .some(let last)):
                if current.hex != last {
                    changed.append(ChangedFile(path: write.path, change: "was changed"))
                }
            }
        }
        return changed
    }

    /// Returns the error of a sync that stopped because of changes on the branch.
    func conflictError(_ plan: PushPlan, changed: [ChangedFile], tip: GitObjectID?) -> ConnectorError {
        let files = changed.map { "'\($0.path)' \($0.change)" }.joined(separator: "; ")
        let commit = tip.map { " (branch commit \($0.hex))" } ?? ""
        return ConnectorError(
            .conflict,
            "conflict on branch '\(plan.branch)' of \(plan.record.repository)\(commit) since the last sync: \(files). "
                + "Nothing was pushed and the input files are unchanged. Get the branch's version with "
                + "`xapi-git pull \(plan.target) --out DIR`, merge, and sync again, or pass --overwrite to "
                + "replace the branch's version"
        )
    }
}
