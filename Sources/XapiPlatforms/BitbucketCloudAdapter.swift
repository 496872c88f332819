import Foundation
public import XapiHTTP
import XapiCore

/// Verifies credentials and builds Git access for Bitbucket Cloud.
///
/// Bitbucket Cloud has no endpoint that reports a token's expiry, so an expired token shows up only as a
/// 401. A verification reads the account (`GET /2.0/user`), the repository (`GET /2.0/repositories/{ws}/{slug}`),
/// write access (the token's scopes for access tokens, the workspace role queries for user credentials) and the
/// branch (`GET …/refs/branches/{name}`).
public struct BitbucketCloudAdapter: PlatformAdapter {
    public var platform: Platform { .bitbucket }

    /// The REST API root: `https://api.bitbucket.org/2.0`, or `BASE/2.0`.
    public let apiRoot: String
    /// The root of Git URLs: `https://bitbucket.org`, or the base URL.
    public let webRoot: String
    private let transport: any HTTPTransport

    /// The date from which Bitbucket Cloud rejects app passwords, as Atlassian announced it.
    static let appPasswordShutdown = "2026-07-28"

    /// Creates an adapter for the server at `baseURL`, or for bitbucket.org when it is nil or names
    /// `https://bitbucket.org` or `https://api.bitbucket.org`.
    public init(baseURL: BaseURL?, transport: any HTTPTransport) {
        self.transport = transport
        let publicHosts = ["bitbucket.org", "www.bitbucket.org", "api.bitbucket.org"]
        guard let baseURL, !(baseURL.scheme == "https" && publicHosts.contains(baseURL.host) && baseURL.port == nil
            && baseURL.path.isEmpty)
        else {
            apiRoot = "https://api.bitbucket.org/2.0"
            webRoot = "https://bitbucket.org"
            return
        }
        apiRoot = "\(baseURL)/2.0"
        webRoot = "\(baseURL)"
    }

    /// Splits `WORKSPACE/SLUG` after dropping a trailing `.git`.
    ///
    /// Workspace IDs and repository slugs have letters, digits, `-`, `_` and `.` (the workspace no `.`).
    ///
    /// - Throws: `PlatformError` of kind `invalidRepository` naming the value.
    public static func parseRepository(_ text: String) throws(PlatformError) -> (workspace: String, slug: String) {
        var trimmed = text.trimmingWhitespaceAndNewlines()
        if trimmed.lowercased().hasSuffix(".git") {
            trimmed = String(trimmed.dropLast(4))
        }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let usage = "write it as WORKSPACE/REPOSITORY, such as acme/api-specs"
        guard parts.count == 2 else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "`\(text)` is not a Bitbucket Cloud repository name; \(usage)."
            )
        }
        let workspace = parts[0]
        let slug = parts[1]
        let workspaceIsValid = !workspace.isEmpty
            && workspace.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        let slugIsValid = !slug.isEmpty && slug != "." && slug != ".."
            && slug.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard workspaceIsValid, slugIsValid else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "`\(text)` has characters that Bitbucket Cloud does not allow in a workspace ID or "
                    + "repository slug (letters, digits, `-`, `_`, and `.` in the slug); \(usage)."
            )
        }
        return (String(workspace), String(slug))
    }

    /// Returns how a credential kind authenticates: the API credential and the Git user name.
    ///
    /// `.accessToken` is taken as a repository, project or workspace access token, like
    /// `.bitbucketAccessToken`.
    static func authentication(
        for token: AccessToken
    ) throws(PlatformError) -> (api: HTTPCredential, gitUsername: String, isUserCredential: Bool) {
        switch token.kind {
        case .bitbucketAPIToken(let email):
            guard email.contains("@"), !email.hasPrefix("@"), !email.hasSuffix("@") else {
                throw PlatformError(
                    kind: .invalidCredential,
                    message: "A Bitbucket Cloud API token is used with the Atlassian account's e-mail address, but "
                        + "`\(email)` is not an e-mail address; give the e-mail you sign in to Atlassian with."
                )
            }
            return (.basic(username: email, password: token.secret), "x-bitbucket-api-token-auth", true)
        case .bitbucketAccessToken, .accessToken:
            return (.bearer(token.secret), "x-token-auth", false)
        case .bitbucketAppPassword(let username):
            guard !username.contains("@") else {
                throw PlatformError(
                    kind: .invalidCredential,
                    message: "An app password is used with the Bitbucket username, but `\(username)` is an e-mail "
                        + "address; give the username shown in Bitbucket's personal settings."
                )
            }
            guard !username.isEmpty, !username.contains(":") else {
                throw PlatformError(
                    kind: .invalidCredential,
                    message: "The Bitbucket username `\(username)` is empty or contains `:`; give the username "
                        + "shown in Bitbucket's personal settings."
                )
            }
            return (.basic(username: username, password: token.secret), username, true)
        case .dataCenterBearerToken:
            throw PlatformError(
                kind: .invalidCredential,
                message: "Bitbucket Cloud accepts API tokens, access tokens and app passwords, but this credential "
                    + "is a \(token.kind.summary); reconnect with a Bitbucket Cloud credential."
            )
        }
    }

    public func gitAccess(token: AccessToken, at location: RepositoryLocation) throws -> GitAccess {
        let authentication = try Self.authentication(for: token)
        let (workspace, slug) = try Self.parseRepository(location.repository)
        return GitAccess(
            url: "\(webRoot)/\(workspace)/\(slug).git",
            username: authentication.gitUsername,
            password: token.secret,
            sendsBearer: false
        )
    }

    public func verify(
        token: AccessToken,
        at location: RepositoryLocation,
        context: VerificationContext
    ) async -> TokenReport {
        await TokenReport.collecting(platform: .bitbucket) { report in
            if case .bitbucketAppPassword = token.kind {
                report.notes.append(
                    "App passwords are deprecated: Bitbucket Cloud stops accepting them on "
                        + "\(Self.appPasswordShutdown); create an API token."
                )
            }
            try await check(token: token, at: location, context: context, report: &report)
        }
    }

    // MARK: - Verification steps

    private func check(
        token: AccessToken,
        at location: RepositoryLocation,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws {
        let authentication: (api: HTTPCredential, gitUsername: String, isUserCredential: Bool)
        let workspace: String
        let slug: String
        do {
            authentication = try Self.authentication(for: token)
        } catch {
            throw VerificationStop(status: .invalid, detail: error.message)
        }
        do {
            (workspace, slug) = try Self.parseRepository(location.repository)
        } catch {
            throw VerificationStop(status: .repositoryNotFound, detail: error.message)
        }
        let api = APIClient(platform: .bitbucket, transport: transport, credential: authentication.api, headers: [])
        let responses = BitbucketCloudResponses(token: token, context: context)
        let fullName = "\(workspace)/\(slug)"

        // Step 1: the account. A 403 means the token lacks the account scope, which pushing does not need.
        let userRequest = "GET /2.0/user"
        let userResponse = try await api.get(apiRoot + "/user")
        readScopes(userResponse, into: &report)
        if userResponse.status == 403 {
            let message = APIClient.serverMessage(userResponse.body).map { " (\($0))" } ?? ""
            report.notes.append(
                "Bitbucket Cloud did not return the token's account\(message); the token lacks the account "
                    + "(read:user:bitbucket) scope, which pushing does not need."
            )
        } else {
            try responses.checkFailures(userResponse, request: userRequest, report: report)
            let document = try JSONDocument(body: userResponse.body, source: "Bitbucket's response to \(userRequest)")
            report.account = try document.optionalString("username") ?? document.optionalString("display_name")
        }

        // Step 2: the repository.
        let repositoryPath = "/repositories/\(PathSegment.encode(workspace))/\(PathSegment.encode(slug))"
        let repositoryRequest = "GET /2.0\(repositoryPath)"
        let repositoryResponse = try await api.get(apiRoot + repositoryPath)
        readScopes(repositoryResponse, into: &report)
        if repositoryResponse.status == 404 {
            throw VerificationStop(
                status: .repositoryNotFound,
                detail: "The repository \(fullName) does not exist or the credential cannot see it; check the name "
                    + "and that the credential has the repository read scope."
            )
        }
        try responses.checkFailures(repositoryResponse, request: repositoryRequest, report: report)
        let repository = try JSONDocument(
            body: repositoryResponse.body,
            source: "Bitbucket's response to \(repositoryRequest)"
        )
        report.platformProjectID = try repository.optionalString("uuid")
        let mainBranch = try repository.optionalString("mainbranch", "name")

        // Step 3: write access.
        let scopesReported = repositoryResponse.headers["x-oauth-scopes"] != nil
            || userResponse.headers["x-oauth-scopes"] != nil
        var missing: [String] = []
        var reasons: [String] = []
        if scopesReported && !Self.scopesAllowWrite(report.scopes) {
            // API tokens use Atlassian's scope names, the other kinds Bitbucket's older ones.
            let writeScope: String
            if case .bitbucketAPIToken = token.kind {
                writeScope = "write:repository:bitbucket"
            } else {
                writeScope = "repository:write"
            }
            missing.append(writeScope)
            reasons.append("The credential lacks the \(writeScope) scope, which pushing needs; create one with it.")
        }
        if authentication.isUserCredential {
            let role = try await workspaceRole(
                workspace: workspace,
                slug: slug,
                api: api,
                responses: responses,
                report: &report
            )
            if role == false {
                missing.append("write")
                let user = report.account.map { "`\($0)`" } ?? "The credential's user"
                reasons.append("\(user) has no write access to \(fullName); ask a workspace admin for it.")
            }
            report.canPush = missing.isEmpty ? role : false
        } else if scopesReported {
            report.canPush = missing.isEmpty
        } else {
            report.notes.append(
                "Bitbucket Cloud did not report the access token's scopes, so write access was not checked; the "
                    + "push will tell."
            )
        }
        if !missing.isEmpty {
            report.canPush = false
            throw VerificationStop(
                status: .insufficientPermission,
                detail: reasons.joined(separator: " "),
                missing: missing
            )
        }

        // Step 4: the branch.
        let branchPath = repositoryPath + "/refs/branches/" + PathSegment.encode(location.branch)
        let branchRequest = "GET /2.0\(branchPath)"
        let branchResponse = try await api.get(apiRoot + branchPath)
        if branchResponse.status == 404 {
            let hint = mainBranch.map { " (the main branch is `\($0)`)" } ?? ""
            throw VerificationStop(
                status: .branchNotFound,
                detail: "The branch `\(location.branch)` does not exist in \(fullName)\(hint); create it or choose an "
                    + "existing branch."
            )
        }
        try responses.checkFailures(branchResponse, request: branchRequest, report: report)

        let account = report.account.map { "`\($0)`" } ?? "The credential"
        let verb = report.canPush == true ? "may push to" : "can read"
        report.conclude(validDetail: "\(account) \(verb) \(fullName), branch `\(location.branch)`.", context: context)
    }

    /// Reads `x-oauth-scopes` (comma-separated) into the report when the response carries it.
    private func readScopes(_ response: HTTPResponse, into report: inout TokenReport) {
        if let header = response.headers["x-oauth-scopes"] {
            report.scopes = GitHubResponses.parseScopes(header)
        }
    }

    /// Returns whether the scopes allow pushing: `repository:write` or `repository:admin` for access and OAuth tokens,
    /// `write:repository:bitbucket` or `admin:repository:bitbucket` for API tokens.
    static func scopesAllowWrite(_ scopes: [String]) -> Bool {
        let writeScopes: Set = [
            "repository:write", "repository:admin", "write:repository:bitbucket", "admin:repository:bitbucket",
        ]
        return scopes.contains { writeScopes.contains($0) }
    }

    /// Looks for the repository among the workspace's repositories where the user is a contributor, then
    /// admin. Returns true when found, false when not, and nil when the query fails.
    private func workspaceRole(
        workspace: String,
        slug: String,
        api: APIClient,
        responses: BitbucketCloudResponses,
        report: inout TokenReport
    ) async throws -> Bool? {
        let filter = PathSegment.encode("slug=\"\(slug.lowercased())\"")
        for role in ["contributor", "admin"] {
            let path = "/repositories/\(PathSegment.encode(workspace))?role=\(role)&q=\(filter)"
            let request = "GET /2.0\(path)"
            let response = try await api.get(apiRoot + path)
            if response.status == 401 || response.status == 429 {
                try responses.checkFailures(response, request: request, report: report)
            }
            guard (200..<300).contains(response.status) else {
                let message = APIClient.serverMessage(response.body).map { " (\($0))" } ?? ""
                report.notes.append(
                    "Bitbucket Cloud returned HTTP \(response.status) for the role query \(request)\(message), so "
                        + "write access was not checked; the push will tell."
                )
                return nil
            }
            let document = try JSONDocument(body: response.body, source: "Bitbucket's response to \(request)")
            for value in try document.array("values") {
                let found = try value.optionalString("slug")?.lowercased() == slug.lowercased()
                    || value.optionalString("full_name")?.lowercased() == "\(workspace)/\(slug)".lowercased()
                if found {
                    return true
                }
            }
        }
        return false
    }
}

/// The mapping from Bitbucket Cloud's error responses to report statuses.
struct BitbucketCloudResponses {
    let token: AccessToken
    let context: VerificationContext

    /// Throws the finding for any non-2xx response; returns for 2xx.
    func checkFailures(_ response: HTTPResponse, request: String, report: TokenReport) throws(VerificationStop) {
        guard !(200..<300).contains(response.status) else { return }
        let message = APIClient.serverMessage(response.body)
        let quoted = message.map { " (\($0))" } ?? ""

        switch response.status {
        case 401:
            if let expiry = context.knownExpiry, expiry <= context.now {
                throw VerificationStop(
                    status: .expired,
                    detail: "Bitbucket Cloud rejected the credential, which expired at \(expiry.formatted(.iso8601)); "
                        + "create a new one and reconnect."
                )
            }
            throw VerificationStop(
                status: .invalid,
                detail: "Bitbucket Cloud rejected the credential\(quoted). \(advice)"
            )
        case 403:
            throw VerificationStop(
                status: .insufficientPermission,
                detail: "Bitbucket Cloud rejected \(request)\(quoted); give the credential the repository scopes "
                    + "it needs."
            )
        case 429:
            let retryAt = RetryTime.fromRetryAfter(response.headers["Retry-After"], now: context.now)
                ?? RetryTime.fromResetHeader(response.headers["X-RateLimit-Reset"], now: context.now)
                ?? context.now.addingTimeInterval(RetryTime.defaultWait)
            throw VerificationStop(
                status: .rateLimited,
                detail: "Bitbucket Cloud rate-limited the check\(quoted); try again after "
                    + "\(retryAt.formatted(.iso8601)).",
                retryAt: retryAt
            )
        default:
            let advice = response.status >= 500 ? "Bitbucket has a problem; try again later." : "Check the base URL."
            throw VerificationStop(
                status: .unexpectedResponse,
                detail: "Bitbucket Cloud returned HTTP \(response.status) for \(request)\(quoted). \(advice)"
            )
        }
    }

    /// What to do after a 401, which depends on the credential kind.
    private var advice: String {
        switch token.kind {
        case .bitbucketAPIToken:
            "The API token is wrong or expired, or the e-mail is not the one of its Atlassian account; create a new "
                + "API token and reconnect."
        case .bitbucketAppPassword:
            "The app password or username is wrong, or Bitbucket no longer accepts app passwords (they stop "
                + "working on \(BitbucketCloudAdapter.appPasswordShutdown)); create an API token and reconnect."
        default:
            "The access token is wrong, expired or revoked; create a new access token and reconnect."
        }
    }
}

extension BitbucketCloudAdapter {
    public func normalizedRepository(_ repository: String) throws -> String {
        let parts = try Self.parseRepository(repository)
        return "\(parts.workspace)/\(parts.slug)"
    }
}
