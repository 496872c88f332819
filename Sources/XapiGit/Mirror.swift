import CGit2
import Dispatch
import Foundation

/// A local bare repository that mirrors one branch of a remote repository, builds commits in memory and
/// pushes them.
///
/// All libgit2 work runs on the mirror's own serial queue, never on Swift's cooperative thread pool, because
/// libgit2 calls block. The class is `@unchecked Sendable` because its repository handle is touched only on
/// that queue. Open one mirror per directory: two mirrors on the same directory would race on its refs.
public final class Mirror: @unchecked Sendable {
    /// The bare repository's directory.
    public let directory: String
    /// The URL of the remote `origin`, which contains no credential.
    public let remoteURL: String

    let host: String
    private let queue: DispatchQueue
    /// The `git_repository *`; used only on `queue`.
    let repository: OpaquePointer

    private init(directory: String, remoteURL: String, host: String, queue: DispatchQueue, repository: OpaquePointer) {
        self.directory = directory
        self.remoteURL = remoteURL
        self.host = host
        self.queue = queue
        self.repository = repository
    }

    deinit {
        git_repository_free(repository)
    }

    /// Opens the bare repository at `directory`, creating it when the directory is missing or empty, and
    /// points its remote `origin` at `remoteURL`.
    ///
    /// - Throws: `GitError` when the URL carries user information, uses plain http to another host than
    ///   this machine, or when `directory` contains something other than a Git repository.
    public static func open(at directory: String, remoteURL: String) async throws -> Mirror {
        try LibGit2.ensureInitialized()
        let host = try RemoteURL.checkedHost(of: remoteURL)
        let queue = DispatchQueue(label: "xapi-git.mirror")

        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result {
                        let repository = try openRepository(at: directory)
                        do {
                            try pointOrigin(of: repository, at: remoteURL)
                        } catch {
                            git_repository_free(repository)
                            throw error
                        }
                        return Mirror(
                            directory: directory, remoteURL: remoteURL, host: host, queue: queue,
                            repository: repository)
                    })
            }
        }
    }

    /// Runs `work` on the mirror's queue and returns its result.
    func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// Returns the bytes of the file at `path` in `commit`, or nil when the commit has no file there.
    ///
    /// - Throws: `.invalidPath` for a path that `makeCommit` would reject; `.other` when the commit is not in
    ///   the mirror.
    public func fileContents(at path: String, in commit: GitObjectID) async throws -> [UInt8]? {
        let components = try RepositoryPath.components(of: path)

        return try await perform {
            let tree = try self.lookUpTree(of: commit)
            defer { git_tree_free(tree) }

            var entry: OpaquePointer?
            let result = git_tree_entry_bypath(&entry, tree, components.joined(separator: "/"))
            if result == GIT_ENOTFOUND.rawValue {
                return nil
            }
            try LibGit2.check(result, "git_tree_entry_bypath")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }

            var blob: OpaquePointer?
            try LibGit2.check(git_blob_lookup(&blob, self.repository, git_tree_entry_id(entry)), "git_blob_lookup")
            defer { git_blob_free(blob) }

            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let bytes = git_blob_rawcontent(blob) else { return [] }
            return Array(UnsafeRawBufferPointer(start: bytes, count: size))
        }
    }

    /// Looks up the `git_tree *` of `commit`, which the caller frees. Runs on the queue.
    func lookUpTree(of commit: GitObjectID) throws -> OpaquePointer? {
        var oid = commit.oid
        var commitObject: OpaquePointer?
        let result = git_commit_lookup(&commitObject, repository, &oid)
        if result == GIT_ENOTFOUND.rawValue {
            throw GitError(
                kind: .other,
                message: "commit \(commit) is not in the mirror at \(directory); fetch the branch first")
        }
        try LibGit2.check(result, "git_commit_lookup")
        defer { git_commit_free(commitObject) }

        var tree: OpaquePointer?
        try LibGit2.check(git_commit_tree(&tree, commitObject), "git_commit_tree")
        return tree
    }

    /// Opens the bare repository at `directory`, or creates one there when the directory is missing or empty.
    private static func openRepository(at directory: String) throws -> OpaquePointer {
        var repository: OpaquePointer?
        let flags = GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue | GIT_REPOSITORY_OPEN_BARE.rawValue
        let opened = git_repository_open_ext(&repository, directory, flags, nil)
        if opened == 0, let repository {
            return repository
        }
        if opened != GIT_ENOTFOUND.rawValue {
            try LibGit2.check(opened, "git_repository_open_ext")
        }

        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard contents.isEmpty else {
            throw GitError(
                kind: .other,
                message: "\(directory) is not empty and contains no Git repository; choose a new or empty directory "
                    + "for the mirror")
        }
        try LibGit2.check(git_repository_init(&repository, directory, 1), "git_repository_init")
        guard let repository else {
            throw GitError(kind: .other, message: "git_repository_init returned no repository for \(directory)")
        }
        return repository
    }

    /// Creates the remote `origin` with `url`, or changes its URL when it differs.
    private static func pointOrigin(of repository: OpaquePointer, at url: String) throws {
        var remote: OpaquePointer?
        let found = git_remote_lookup(&remote, repository, "origin")
        if found == GIT_ENOTFOUND.rawValue {
            try LibGit2.check(git_remote_create(&remote, repository, "origin", url), "git_remote_create")
            git_remote_free(remote)
            return
        }
        try LibGit2.check(found, "git_remote_lookup")
        defer { git_remote_free(remote) }

        let current = git_remote_url(remote).map { String(cString: $0) }
        if current != url {
            try LibGit2.check(git_remote_set_url(repository, "origin", url), "git_remote_set_url")
        }
    }
}
