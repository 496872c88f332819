/// A Git hosting platform that an integration points at.
public enum Platform: String, Sendable, Codable, CaseIterable {
    case github
    case gitlab
    case bitbucket
    case bitbucketDataCenter = "bitbucket-dc"

    /// The name people use for the platform, for messages and tables.
    public var displayName: String {
        switch self {
        case .github: "GitHub"
        case .gitlab: "GitLab"
        case .bitbucket: "Bitbucket Cloud"
        case .bitbucketDataCenter: "Bitbucket Data Center"
        }
    }
}

/// Where an integration writes: a repository and branch on one platform's server.
public struct RepositoryLocation: Sendable, Hashable, Codable {
    public var platform: Platform
    /// The server's base URL as the user gave it (`https://ghe.example.com`), or nil for the platform's
    /// public service (github.com, gitlab.com, bitbucket.org).
    public var baseURL: String?
    /// The repository as the platform names it: `OWNER/REPO` on GitHub, `group/sub/project` on GitLab,
    /// `WORKSPACE/SLUG` on Bitbucket Cloud, `PROJECT/REPO` on Bitbucket Data Center.
    public var repository: String
    public var branch: String

    public init(platform: Platform, baseURL: String?, repository: String, branch: String) {
        self.platform = platform
        self.baseURL = baseURL
        self.repository = repository
        self.branch = branch
    }
}
