import CGit2
import Foundation

extension Mirror {
    /// Builds a commit on `parent` that stores `writes` and keeps every other file of the parent.
    ///
    /// Blobs are made from the bytes as given, without filters, so line endings, a missing final newline
    /// and the user's Git configuration do not change what is stored. No branch moves: `push` points the
    /// branch at the commit. Pass the remote tip from `fetch` as `parent` (nil for an empty repository).
    ///
    /// - Returns: The new commit, or nil when its tree would equal the parent's (nothing to push).
    /// - Throws: `.invalidPath` before any I/O when a path is not allowed or two writes collide. Also
    ///   `.invalidPath` when a write needs a folder where the parent has a file, or a file where the parent has
    ///   a folder or a link.
    public func makeCommit(
        parent: GitObjectID?,
        writes: [FileWrite],
        message: String,
        author: GitSignature
    ) async throws -> GitObjectID? {
        try RepositoryPath.check(writes)
        let root = try FolderChanges(writes)

        return try await perform {
            let parentTree = try parent.map { try self.lookUpTree(of: $0) } ?? nil
            defer { git_tree_free(parentTree) }

            var tree = try self.writeTree(root, base: parentTree, folderPath: "")
            if let parentTree, var parentTreeID = git_tree_id(parentTree)?.pointee,
                git_oid_equal(&parentTreeID, &tree.oid) == 1
            {
                return nil
            }
            if parentTree == nil, writes.isEmpty {
                return nil
            }

            return try self.createCommit(tree: tree, parent: parent, message: message, author: author)
        }
    }

    /// Writes the tree of one folder: the entries of `base` (the parent's folder, if any) with `changes`.
    private func writeTree(_ changes: FolderChanges, base: OpaquePointer?, folderPath: String) throws -> TreeID {
        var builder: OpaquePointer?
        try LibGit2.check(git_treebuilder_new(&builder, repository, base), "git_treebuilder_new")
        defer { git_treebuilder_free(builder) }

        for (name, contents) in changes.files.sorted(by: { $0.key < $1.key }) {
            let path = folderPath + name
            var mode = GIT_FILEMODE_BLOB
            if let existing = base.flatMap({ git_tree_entry_byname($0, name) }) {
                switch git_tree_entry_filemode(existing) {
                case GIT_FILEMODE_BLOB:
                    break
                case GIT_FILEMODE_BLOB_EXECUTABLE:
                    mode = GIT_FILEMODE_BLOB_EXECUTABLE
                case GIT_FILEMODE_TREE:
                    throw RepositoryPath.invalid(path, "the parent commit has a folder at this path")
                default:
                    throw RepositoryPath.invalid(path, "the parent commit has a link or submodule at this path")
                }
            }

            var blob = git_oid()
            let created = contents.withUnsafeBytes { bytes in
                git_blob_create_from_buffer(&blob, repository, bytes.baseAddress, bytes.count)
            }
            try LibGit2.check(created, "git_blob_create_from_buffer")
            try LibGit2.check(git_treebuilder_insert(nil, builder, name, &blob, mode), "git_treebuilder_insert")
        }

        for (name, folder) in changes.folders.sorted(by: { $0.key < $1.key }) {
            let path = folderPath + name
            var subtree: OpaquePointer?
            if let existing = base.flatMap({ git_tree_entry_byname($0, name) }) {
                guard git_tree_entry_type(existing) == GIT_OBJECT_TREE else {
                    throw RepositoryPath.invalid(path, "the parent commit has a file at this path, not a folder")
                }
                try LibGit2.check(
                    git_tree_lookup(&subtree, repository, git_tree_entry_id(existing)), "git_tree_lookup")
            }
            defer { git_tree_free(subtree) }

            var folderTree = try writeTree(folder, base: subtree, folderPath: path + "/").oid
            try LibGit2.check(
                git_treebuilder_insert(nil, builder, name, &folderTree, GIT_FILEMODE_TREE), "git_treebuilder_insert")
        }

        var tree = TreeID()
        try LibGit2.check(git_treebuilder_write(&tree.oid, builder), "git_treebuilder_write")
        return tree
    }

    private func createCommit(
        tree: TreeID,
        parent: GitObjectID?,
        message: String,
        author: GitSignature
    ) throws -> GitObjectID {
        var treeOID = tree.oid
        var treeObject: OpaquePointer?
        try LibGit2.check(git_tree_lookup(&treeObject, repository, &treeOID), "git_tree_lookup")
        defer { git_tree_free(treeObject) }

        var parentCommit: OpaquePointer?
        if let parent {
            var parentOID = parent.oid
            try LibGit2.check(git_commit_lookup(&parentCommit, repository, &parentOID), "git_commit_lookup")
        }
        defer { git_commit_free(parentCommit) }

        var signature: UnsafeMutablePointer<git_signature>?
        let seconds = git_time_t(author.date.timeIntervalSince1970.rounded(.down))
        try LibGit2.check(git_signature_new(&signature, author.name, author.email, seconds, 0), "git_signature_new")
        defer { git_signature_free(signature) }

        // Git ends a commit message with a newline; libgit2 stores the text exactly as given.
        let text = message.hasSuffix("\n") ? message : message + "\n"
        var commit = git_oid()
        var parents: [OpaquePointer?] = parentCommit.map { [$0] } ?? []
        let result = parents.withUnsafeMutableBufferPointer { buffer in
            git_commit_create(
                &commit, repository, nil, signature, signature, nil, text, treeObject, buffer.count,
                buffer.baseAddress)
        }
        try LibGit2.check(result, "git_commit_create")
        return GitObjectID(commit)
    }
}

/// The id of a tree that `writeTree` wrote.
private struct TreeID {
    var oid = git_oid()
}

/// The files and subfolders that a commit writes into one folder, built from the commit's writes.
private struct FolderChanges {
    var files: [String: [UInt8]] = [:]
    var folders: [String: FolderChanges] = [:]

    init() {}

    /// Sorts `writes` into nested folders; their paths were checked already.
    init(_ writes: [FileWrite]) throws {
        for write in writes {
            let components = try RepositoryPath.components(of: write.path)
            insert(write.contents, at: components[...])
        }
    }

    private mutating func insert(_ contents: [UInt8], at components: ArraySlice<String>) {
        guard let first = components.first else { return }
        if components.count == 1 {
            files[first] = contents
        } else {
            folders[first, default: FolderChanges()].insert(contents, at: components.dropFirst())
        }
    }
}
