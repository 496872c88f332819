import CGit2

extension Mirror {
    /// Returns the blob id stored at each of `paths` in `commit`; a path with no file there is left out.
    ///
    /// Sync uses it to compare the branch's files with the blobs it wrote last, without reading contents.
    /// With a nil `commit` (an empty repository) the result is empty.
    ///
    /// - Throws: `.invalidPath` for a path that `makeCommit` would reject; `.other` when the commit is not in
    ///   the mirror.
    public func blobIDs(at paths: [String], in commit: GitObjectID?) async throws -> [String: GitObjectID] {
        let checked = try paths.map { ($0, try RepositoryPath.components(of: $0).joined(separator: "/")) }
        guard let commit else { return [:] }

        return try await perform {
            let tree = try self.lookUpTree(of: commit)
            defer { git_tree_free(tree) }

            var found: [String: GitObjectID] = [:]
            for (path, normalized) in checked {
                var entry: OpaquePointer?
                let result = git_tree_entry_bypath(&entry, tree, normalized)
                if result == GIT_ENOTFOUND.rawValue {
                    continue
                }
                try LibGit2.check(result, "git_tree_entry_bypath")
                defer { git_tree_entry_free(entry) }

                guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB, let id = git_tree_entry_id(entry) else { continue }
                found[path] = GitObjectID(id.pointee)
            }
            return found
        }
    }

    /// Returns whether the mirror already has the commit `id`, whose objects a fetch then need not download.
    /// Runs on the queue.
    func hasCommit(_ id: GitObjectID) -> Bool {
        var oid = id.oid
        var object: OpaquePointer?
        guard git_commit_lookup(&object, repository, &oid) == 0 else { return false }
        git_commit_free(object)
        return true
    }
}
