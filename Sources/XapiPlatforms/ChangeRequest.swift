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

/// What a new change request proposes: merging `sourceBranch` into `targetBranch`.
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
    /// - Throws: `ChangeRequestError` when the platform has no change request support in this version.
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
            return GitHubPullRequests(
                apiRoot: adapter.apiRoot, owner: owner, name: name, token: token.secret, transport: transport)
        case .gitlab:
            guard token.kind == .accessToken else {
                throw PlatformError(kind: .invalidCredential, message: GitLabAdapter.wrongKindMessage(token.kind))
            }
            let adapter = GitLabAdapter(baseURL: server, transport: transport)
            let path = try GitLabAdapter.normalizeProjectPath(location.repository, baseURL: adapter.server)
            return GitLabMergeRequests(apiRoot: adapter.apiRoot, projectPath: path, token: token.secret, transport: transport)
        case .bitbucket, .bitbucketDataCenter:
            // TODO: open Bitbucket Cloud and Data Center pull requests; the lab does not emulate their endpoints yet.
            throw ChangeRequestError(
                status: nil,
                message: "pull requests on \(location.platform.displayName) are not supported yet; sync without "
                    + "--via-pull-request and open the pull request on the platform"
            )
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
            message: "\(platform.displayName) answered \(request) with HTTP \(response.status) (\(detail))"
        )
    }
}
