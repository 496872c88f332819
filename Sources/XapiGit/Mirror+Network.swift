import CGit2
import Foundation

extension Mirror {
    /// Fetches `branch` of the remote into `refs/remotes/origin/BRANCH` and returns the remote tip.
    ///
    /// Only that branch is fetched, never tags, and no pack is downloaded when the mirror already has the
    /// advertised tip. When the remote has no such branch (an empty repository
    /// included) the method returns nil and deletes a stale local `refs/remotes/origin/BRANCH`, so nothing is
    /// built on a branch that is gone.
    ///
    /// - Throws: `GitError`, for example `.authenticationFailed`, `.timedOut`, `.repositoryNotFound`.
    public func fetch(branch: String, credential: GitCredential, timeout: Duration) async throws -> GitObjectID? {
        let reference = try Self.branchReference(branch)
        let tracking = "refs/remotes/origin/" + branch

        return try await perform {
            let remote = try self.lookUpOrigin()
            defer { git_remote_free(remote) }
            let state = TransferState(credential: credential, host: self.host)
            let operation = TransferOperation(credential: credential, host: self.host, timeout: timeout)

            let tip: GitObjectID? = try withExtendedLifetime(state) {
                try operation.run {
                    try self.connect(remote, direction: GIT_DIRECTION_FETCH, state: state, operation: operation)
                    defer { git_remote_disconnect(remote) }

                    guard let tip = try Self.advertisedValue(of: reference, remote: remote, operation: operation) else {
                        return nil
                    }
                    // A tip that the mirror already has (its own last push, or an unchanged branch) needs no
                    // pack, so the fetch costs one reference listing.
                    if !self.hasCommit(tip) {
                        try self.download(reference, into: tracking, remote: remote, state: state, operation: operation)
                    }
                    return tip
                }
            }

            guard let tip else {
                try self.deleteReference(tracking)
                return nil
            }
            try self.setReference(tracking, to: tip, logMessage: "xapi-git: fetch \(branch)")
            return tip
        }
    }

    /// Returns the branch that the remote's HEAD points at, or nil when the remote has none (an empty
    /// repository).
    public func remoteDefaultBranch(credential: GitCredential, timeout: Duration) async throws -> String? {
        try await perform {
            let remote = try self.lookUpOrigin()
            defer { git_remote_free(remote) }
            let state = TransferState(credential: credential, host: self.host)
            let operation = TransferOperation(credential: credential, host: self.host, timeout: timeout)

            return try withExtendedLifetime(state) {
                try operation.run {
                    try self.connect(remote, direction: GIT_DIRECTION_FETCH, state: state, operation: operation)
                    defer { git_remote_disconnect(remote) }

                    var name = git_buf()
                    defer { git_buf_dispose(&name) }
                    let result = git_remote_default_branch(&name, remote)
                    if result == GIT_ENOTFOUND.rawValue {
                        return nil
                    }
                    try operation.check(result, "git_remote_default_branch")

                    let reference = name.ptr.map { String(cString: $0) } ?? ""
                    let prefix = "refs/heads/"
                    return reference.hasPrefix(prefix) ? String(reference.dropFirst(prefix.count)) : reference
                }
            }
        }
    }

    /// Pushes `commit` to `branch` of the remote as a fast-forward (never forced).
    ///
    /// The local `refs/heads/BRANCH` is set to `commit` right before the push, and after success
    /// `refs/remotes/origin/BRANCH` too. Success means libgit2 returned 0 and the server accepted the
    /// reference.
    ///
    /// - Throws: `.nonFastForward` when the remote branch moved on, so the caller fetches, rebuilds the commit
    ///   on the new tip and pushes again. `.pushRejected` with the server's text when the server rejected the
    ///   update, for example on a protected branch. `.accessDenied` when the credential may not write.
    public func push(_ commit: GitObjectID, to branch: String, credential: GitCredential, timeout: Duration)
        async throws
    {
        let reference = try Self.branchReference(branch)

        try await perform {
            try self.checkCommitExists(commit)
            try self.setReference(reference, to: commit, logMessage: "xapi-git: prepare push")

            let remote = try self.lookUpOrigin()
            defer { git_remote_free(remote) }
            let state = TransferState(credential: credential, host: self.host)
            let operation = TransferOperation(credential: credential, host: self.host, timeout: timeout)

            try withExtendedLifetime(state) {
                var options = git_push_options()
                try LibGit2.check(
                    git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "git_push_options_init")
                state.install(in: &options.callbacks)

                try operation.run {
                    let result = withStringArray(["\(reference):\(reference)"]) { refspecs in
                        git_remote_push(remote, &refspecs, &options)
                    }
                    do {
                        try operation.check(result, "git_remote_push")
                    } catch let error as GitError where error.kind == .nonFastForward {
                        throw GitError(
                            kind: .nonFastForward,
                            message: "the push of \(reference) to \(self.host) is not a fast-forward: the remote "
                                + "branch has commits that \(commit) does not contain; fetch, rebuild the commit on "
                                + "the new tip and push again (\(error.message))")
                    }
                }
            }

            try self.checkPushAccepted(reference, commit: commit, state: state, operation: operation)
            try self.setReference("refs/remotes/origin/" + branch, to: commit, logMessage: "xapi-git: push \(branch)")
        }
    }

    /// Throws unless the server reported `reference` as accepted.
    private func checkPushAccepted(
        _ reference: String,
        commit: GitObjectID,
        state: TransferState,
        operation: TransferOperation
    ) throws {
        let serverText = state.serverText
        switch state.referenceStatuses[reference] {
        case .some(.none):
            return
        case .some(.some(let status)):
            let output = serverText.isEmpty ? status : status + "\n" + serverText
            let quoted = serverText.isEmpty ? "" : " The server said: \(serverText)"
            throw GitError(
                kind: .pushRejected,
                message: operation.redacted(
                    "\(host) rejected the push to \(reference) (\(status)); check the branch's protection rules "
                        + "and hooks, or push to another branch.\(quoted)"),
                rejectedReference: reference,
                serverOutput: operation.redacted(output))
        case .none:
            // libgit2 sends no command for a reference that already has the pushed value.
            if state.remoteValuesBeforePush[reference] == commit {
                return
            }
            throw GitError(
                kind: .pushRejected,
                message: operation.redacted(
                    "\(host) did not report the status of \(reference) after the push; the update may not have "
                        + "been applied\(serverText.isEmpty ? "" : ": \(serverText)")"),
                rejectedReference: reference,
                serverOutput: serverText.isEmpty ? nil : operation.redacted(serverText))
        }
    }

    /// Connects `remote` with the state's callbacks.
    private func connect(
        _ remote: OpaquePointer?,
        direction: git_direction,
        state: TransferState,
        operation: TransferOperation
    ) throws {
        var options = git_remote_connect_options()
        try LibGit2.check(
            git_remote_connect_options_init(&options, UInt32(GIT_REMOTE_CONNECT_OPTIONS_VERSION)),
            "git_remote_connect_options_init")
        state.install(in: &options.callbacks)
        try operation.check(git_remote_connect_ext(remote, direction, &options), "git_remote_connect_ext")
    }

    /// Downloads the objects of `reference` on the connected `remote`; `tracking` names the refspec's target.
    private func download(
        _ reference: String,
        into tracking: String,
        remote: OpaquePointer?,
        state: TransferState,
        operation: TransferOperation
    ) throws {
        var options = git_fetch_options()
        try LibGit2.check(
            git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "git_fetch_options_init")
        state.install(in: &options.callbacks)
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        options.update_fetchhead = 0

        let result = withStringArray(["+\(reference):\(tracking)"]) { refspecs in
            git_remote_download(remote, &refspecs, &options)
        }
        try operation.check(result, "git_remote_download")
    }

    /// Returns the value the connected `remote` advertises for `reference`, or nil when it has no such reference.
    private static func advertisedValue(
        of reference: String,
        remote: OpaquePointer?,
        operation: TransferOperation
    ) throws -> GitObjectID? {
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try operation.check(git_remote_ls(&heads, &count, remote), "git_remote_ls")
        guard let heads else { return nil }

        for index in 0..<count {
            guard let head = heads[index]?.pointee, let name = head.name else { continue }
            if String(cString: name) == reference {
                return GitObjectID(head.oid)
            }
        }
        return nil
    }

    /// Looks up the remote `origin` and returns its `git_remote *`, which the caller frees. Runs on the queue.
    private func lookUpOrigin() throws -> OpaquePointer? {
        var remote: OpaquePointer?
        try LibGit2.check(git_remote_lookup(&remote, repository, "origin"), "git_remote_lookup")
        return remote
    }

    private func checkCommitExists(_ commit: GitObjectID) throws {
        var oid = commit.oid
        var object: OpaquePointer?
        let result = git_commit_lookup(&object, repository, &oid)
        if result == GIT_ENOTFOUND.rawValue {
            throw GitError(
                kind: .other, message: "commit \(commit) is not in the mirror at \(directory); make the commit first")
        }
        try LibGit2.check(result, "git_commit_lookup")
        git_commit_free(object)
    }

    private func setReference(_ name: String, to commit: GitObjectID, logMessage: String) throws {
        var oid = commit.oid
        var reference: OpaquePointer?
        try LibGit2.check(
            git_reference_create(&reference, repository, name, &oid, 1, logMessage), "git_reference_create")
        git_reference_free(reference)
    }

    private func deleteReference(_ name: String) throws {
        var reference: OpaquePointer?
        let found = git_reference_lookup(&reference, repository, name)
        if found == GIT_ENOTFOUND.rawValue {
            return
        }
        try LibGit2.check(found, "git_reference_lookup")
        defer { git_reference_free(reference) }
        try LibGit2.check(git_reference_delete(reference), "git_reference_delete")
    }

    /// `refs/heads/BRANCH`, or `.other` when `branch` is not a valid branch name.
    static func branchReference(_ branch: String) throws -> String {
        let reference = "refs/heads/" + branch
        var valid: Int32 = 0
        try LibGit2.ensureInitialized()
        try LibGit2.check(git_reference_name_is_valid(&valid, reference), "git_reference_name_is_valid")
        guard valid == 1, !branch.isEmpty else {
            throw GitError(kind: .other, message: "invalid branch name \"\(branch)\"; use a name such as main")
        }
        return reference
    }
}

/// Calls `body` with a `git_strarray` of `strings`, valid only during the call.
private func withStringArray<Result>(_ strings: [String], _ body: (inout git_strarray) -> Result) -> Result {
    var copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }

    return copies.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return body(&array)
    }
}
