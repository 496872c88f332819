/// Settings of one sync: the commit message, conflict handling, branch creation, pull request mode and the
/// file size limit.
public struct SyncOptions: Sendable {
    /// GitHub's hard limit on a file in a repository: 100 MB (104,857,600 bytes).
    public static let defaultMaxFileSize = 100 * 1024 * 1024

    /// The commit message; nil or blank text gives "Sync PROJECT/API@VERSION from xapi-git".
    public var message: String?
    /// Replace files that were changed on the branch since the last sync instead of stopping with a conflict.
    public var overwrite: Bool
    /// Create the integration's branch from the repository's default branch when it does not exist.
    public var createBranch: Bool
    /// Push to a sync branch of the target and open (or update) a pull or merge request into the
    /// integration's branch, instead of pushing to that branch.
    public var viaPullRequest: Bool
    /// Files larger than this many bytes are rejected before any network work.
    public var maxFileSize: Int

    public init(
        message: String? = nil,
        overwrite: Bool = false,
        createBranch: Bool = false,
        viaPullRequest: Bool = false,
        maxFileSize: Int = SyncOptions.defaultMaxFileSize
    ) {
        self.message = message
        self.overwrite = overwrite
        self.createBranch = createBranch
        self.viaPullRequest = viaPullRequest
        self.maxFileSize = maxFileSize
    }
}
