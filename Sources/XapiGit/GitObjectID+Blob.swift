import CGit2

extension GitObjectID {
    /// The name Git gives a blob with exactly these bytes (`git hash-object --no-filters`), computed
    /// without a repository.
    public static func blob(of contents: [UInt8]) throws -> GitObjectID {
        try LibGit2.ensureInitialized()
        var oid = git_oid()
        let status = contents.withUnsafeBytes { bytes in
            git_odb_hash(&oid, bytes.baseAddress, bytes.count, GIT_OBJECT_BLOB)
        }
        try LibGit2.check(status, "git_odb_hash")
        return GitObjectID(oid)
    }
}
