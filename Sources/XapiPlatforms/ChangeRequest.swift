public import XapiHTTP

/// A pull request (GitHub, Bitbucket) or merge request (GitLab) that proposes a sync branch for review.
public struct ChangeRequest: Sendable, Equatable {
    /// The platform's number for it: GitHub's pull request number, GitLab's `iid`.
    public var number: Int
    /// The page where people review it.
    public var webURL: String
    /// Whether this call opened it; false when an open one for the branch existed already.
    public var isNew: Bool

    public init(number: Int, webURL: String, isNew: Bool) {
        self.number = number
        self.webURL = webURL
        self.isNew = isNew
    }
}

/// The content of a new change request: merging `sourceBranch` into `targetBranch`, with a title and a description.
public struct ChangeRequestProposal: Sendable {
    public var sourceBranch: String
    public var targetBranch: String
    public var title: String
    public var description: String

    public init(sourceBranch: String, targetBranch: String, title: String, description: String) {
        self.sourceBranch = sourceBranch
        self.targetBranch = targetBranch
        self.title = title
        self.description = description
    }
}

/// A change request call that failed: what the platform returned and what to do next. Never contains a token.
public struct ChangeRequestError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status the platform returned, or nil when no response arrived.
    public var status: Int?
    public var message: String

    public init(status: Int?, message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}

/// Finds and opens change requests through a platform's REST API.
public protocol ChangeRequestClient: Sendable {
    /// Returns the open change request from `sourceBranch` into `targetBranch`, or nil when there is none.
    func findOpen(sourceBranch: String, targetBranch: String) async throws(ChangeRequestError) -> ChangeRequest?

    /// Opens a change request for `proposal` and returns it with `isNew` set.
    func open(_ proposal: ChangeRequestProposal) async throws(ChangeRequestError) -> ChangeRequest
}

/// Creates the change request client of a platform.
public enum ChangeRequestClients {
    /// Returns the client for the repository of `location`, authenticated with `token`.
    ///
    /// - Throws: `PlatformError` for a malformed base URL or repository name, or `.invalidCredential` for a
    ///   credential kind the platform does not take.
    public static func client(
        at location: RepositoryLocation,
        token: AccessToken,
        transport: any HTTPTransport
    ) throws -> any ChangeRequestClient {
        let server = try location.baseURL.map { text throws(PlatformError) in try BaseURL(validating: text) }

        switch location.platform {
        case .github:
            guard token.kind == .accessToken else {
                throw PlatformError(kind: .invalidCredential, message: GitHubAdapter.wrongKindMessage(token.kind))
            }
            let adapter = GitHubAdapter(baseURL: server, transport: transport)
            let (owner, name) = try GitHubAdapter.parseRepository(location.repository)
            let api = ChangeRequestAPI(
                platform: .github, transport: transport, credential: .bearer(token.secret),
                headers: GitHubAdapter.apiHeaders)
            return GitHubPullRequests(api: api, apiRoot: adapter.apiRoot, owner: owner, name: name)
        case .gitlab:
            guard token.kind == .accessToken else {
                throw PlatformError(kind: .invalidCredential, message: GitLabAdapter.wrongKindMessage(token.kind))
            }
            let adapter = GitLabAdapter(baseURL: server, transport: transport)
            let path = try GitLabAdapter.normalizeProjectPath(location.repository, baseURL: adapter.server)
            let api = ChangeRequestAPI(
                platform: .gitlab, transport: transport, credential: .bearer(token.secret), headers: [])
            return GitLabMergeRequests(api: api, apiRoot: adapter.apiRoot, projectPath: path)
        case .bitbucket:
            let adapter = BitbucketCloudAdapter(baseURL: server, transport: transport)
            let (workspace, slug) = try BitbucketCloudAdapter.parseRepository(location.repository)
            let api = ChangeRequestAPI(
                platform: .bitbucket, transport: transport,
                credential: try BitbucketCloudAdapter.authentication(for: token).api, headers: [])
            return BitbucketCloudPullRequests(api: api, apiRoot: adapter.apiRoot, workspace: workspace, slug: slug)
        case .bitbucketDataCenter:
            guard let server else {
                throw PlatformError(
                    kind: .missingBaseURL,
                    message: "Bitbucket Data Center has no public service, so it needs the server's base URL, "
                        + "such as https://bitbucket.example.com."
                )
            }
            try BitbucketDataCenterAdapter.checkKind(token.kind)
            let adapter = BitbucketDataCenterAdapter(baseURL: server, transport: transport)
            let (key, slug) = try BitbucketDataCenterAdapter.parseRepository(location.repository)
            let api = ChangeRequestAPI(
                platform: .bitbucketDataCenter, transport: transport, credential: .bearer(token.secret),
                headers: [("Accept", "application/json")])
            return BitbucketDataCenterPullRequests(api: api, apiRoot: adapter.apiRoot, projectKey: key, slug: slug)
        }
    }
}

extension ChangeRequestError {
    /// Wraps a failed exchange with the platform, naming the request and the host.
    static func transport(_ error: any Error, request: String, platform: Platform) -> ChangeRequestError {
        ChangeRequestError(
            status: nil,
            message: "\(request) to \(platform.displayName) failed: \(error); check the network and try again"
        )
    }

    /// Describes an unexpected status with the platform's own error message.
    static func unexpected(_ response: HTTPResponse, request: String, platform: Platform) -> ChangeRequestError {
        let detail = APIClient.serverMessage(response.body) ?? "no error message"
        return ChangeRequestError(
            status: response.status,
            message: "\(request) to \(platform.displayName) returned HTTP \(response.status) (\(detail))"
        )
    }
}
