import Foundation
public import XapiHTTP
import XapiCore

/// Verifies tokens and builds Git access for GitHub.com and GitHub Enterprise Server.
///
/// A verification makes three calls, each stopping the check when it finds a problem: `GET /user` (the
/// owner, and the expiry and scopes from the response headers), `GET /repos/{owner}/{repo}` (existence,
/// push permission, archived state) and `GET /repos/{owner}/{repo}/branches/{branch}` (existence and
/// protection).
public struct GitHubAdapter: PlatformAdapter {
    public var platform: Platform { .github }

    /// The REST API root: `https://api.github.com`, or `BASE/api/v3` on Enterprise Server.
    public let apiRoot: String
    /// The root of Git URLs: `https://github.com`, or the Enterprise Server base URL.
    public let webRoot: String
    private let transport: any HTTPTransport

    /// The Accept and version headers that GitHub recommends for every REST call.
    static let apiHeaders: [(name: String, value: String)] = [
        ("Accept", "application/vnd.github+json"),
        ("X-GitHub-Api-Version", "2022-11-28"),
    ]

    /// Creates an adapter for the server at `baseURL`, or for GitHub.com when it is nil.
    ///
    /// A base URL of `https://github.com` or `https://api.github.com` also means GitHub.com, and a trailing
    /// `/api/v3` is dropped from an Enterprise Server URL, since people paste either form.
    public init(baseURL: BaseURL?, transport: any HTTPTransport) {
        self.transport = transport

        guard var server = baseURL, !Self.isGitHubDotCom(server) else {
            apiRoot = "https://api.github.com"
            webRoot = "https://github.com"
            return
        }
        if server.path.lowercased().hasSuffix("/api/v3") {
            server = server.replacingPath(String(server.path.dropLast("/api/v3".count)))
        }
        apiRoot = "\(server)/api/v3"
        webRoot = "\(server)"
    }

    private static func isGitHubDotCom(_ url: BaseURL) -> Bool {
        let publicHosts = ["github.com", "www.github.com", "api.github.com"]
        return url.scheme == "https" && publicHosts.contains(url.host) && url.port == nil && url.path.isEmpty
    }

    /// Splits `OWNER/REPO` into its parts after dropping a trailing `.git`.
    ///
    /// Owners have letters, digits, `-` and `_` and do not start with `-`. Repository names have letters,
    /// digits, `-`, `_` and `.` and are not `.` or `..`. Both have at most 100 characters.
    ///
    /// - Throws: `PlatformError` of kind `invalidRepository` naming the value.
    public static func parseRepository(_ text: String) throws(PlatformError) -> (owner: String, name: String) {
        var trimmed = text.trimmingWhitespaceAndNewlines()
        if trimmed.lowercased().hasSuffix(".git") {
            trimmed = String(trimmed.dropLast(4))
        }

        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let usage = "write it as OWNER/REPO, such as octo-org/api-specs"
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "`\(text)` is not a GitHub repository name; \(usage)."
            )
        }

        let owner = parts[0]
        let name = parts[1]
        let ownerIsValid = owner.count <= 100 && !owner.hasPrefix("-")
            && owner.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        guard ownerIsValid else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "The owner `\(owner)` in `\(text)` is not a GitHub account name (letters, digits, `-` and "
                    + "`_`, not starting with `-`); \(usage)."
            )
        }
        let nameIsValid = name.count <= 100 && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
        guard nameIsValid else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "The repository name `\(name)` in `\(text)` is not valid on GitHub (letters, digits, `-`, "
                    + "`_` and `.`); \(usage)."
            )
        }
        return (String(owner), String(name))
    }

    public func gitAccess(token: AccessToken, at location: RepositoryLocation) throws -> GitAccess {
        guard token.kind == .accessToken else {
            throw PlatformError(kind: .invalidCredential, message: Self.wrongKindMessage(token.kind))
        }
        let (owner, name) = try Self.parseRepository(location.repository)
        return GitAccess(
            url: "\(webRoot)/\(owner)/\(name).git",
            username: "x-access-token",
            password: token.secret,
            sendsBearer: false
        )
    }

    public func verify(
        token: AccessToken,
        at location: RepositoryLocation,
        context: VerificationContext
    ) async -> TokenReport {
        await TokenReport.collecting(platform: .github) { report in
            try await check(token: token, at: location, context: context, report: &report)
        }
    }

    static func wrongKindMessage(_ kind: CredentialKind) -> String {
        "GitHub accepts personal access tokens (classic or fine-grained) and GitHub App tokens, but this "
            + "credential is a \(kind.summary); reconnect with a GitHub token."
    }

    // MARK: - Verification steps

    private func check(
        token: AccessToken,
        at location: RepositoryLocation,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws {
        guard token.kind == .accessToken else {
            throw VerificationStop(status: .invalid, detail: Self.wrongKindMessage(token.kind))
        }
        let (owner, name): (String, String)
        do {
            (owner, name) = try Self.parseRepository(location.repository)
        } catch {
            throw VerificationStop(status: .repositoryNotFound, detail: error.message)
        }
        let tokenKind = GitHubTokenKind(token.secret)
        let api = APIClient(
            platform: .github,
            transport: transport,
            credential: .bearer(token.secret),
            headers: Self.apiHeaders
        )

        let scopesReported = try await checkUser(api: api, context: context, report: &report)

        // Classic tokens list their scopes in X-OAuth-Scopes; other tokens have permissions instead.
        let scopesApply = tokenKind == .classic && scopesReported
        let repository = try await checkRepository(
            owner: owner,
            name: name,
            tokenKind: tokenKind,
            scopesApply: scopesApply,
            api: api,
            context: context,
            report: &report
        )

        try await checkBranch(
            location.branch,
            repository: repository,
            api: api,
            context: context,
            report: &report
        )

        let account = report.account.map { "The token of `\($0)`" } ?? "The token"
        report.conclude(
            validDetail: "\(account) may push to \(repository.fullName), branch `\(location.branch)`.",
            context: context
        )
    }

    /// Step 1: `GET /user` for the owner, expiry and scopes. Returns whether the response reported classic
    /// scopes in `X-OAuth-Scopes`.
    private func checkUser(
        api: APIClient,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws -> Bool {
        let request = "GET /user"
        let response = try await api.get(apiRoot + "/user")
        GitHubResponses.readTokenHeaders(response, into: &report)
        try GitHubResponses.checkCommonFailures(response, request: request, context: context, report: report)

        switch response.status {
        case 200..<300:
            let document = try JSONDocument(body: response.body, source: "GitHub's response to \(request)")
            report.account = try document.string("login")
        case 403:
            // GitHub App installation tokens have no user and get 403 here; the repository check decides.
            let message = APIClient.serverMessage(response.body) ?? "HTTP 403"
            report.notes.append(
                "GitHub did not return the token's user (\(message)); GitHub App installation tokens have none, "
                    + "so the repository check decides."
            )
        default:
            throw GitHubResponses.unexpectedStatus(response, request: request)
        }

        if let expiresAt = report.expiresAt, expiresAt <= context.now {
            throw VerificationStop(
                status: .expired,
                detail: "The token expired at \(expiresAt.formatted(.iso8601)); create a new token and reconnect."
            )
        }
        return response.headers["X-OAuth-Scopes"] != nil
    }

    /// Facts from step 2 about the repository, for step 3.
    private struct RepositoryFacts {
        /// `OWNER/REPO` as GitHub spells it now.
        var fullName: String
        /// The API path of the repository, `/repos/OWNER/REPO`, percent-encoded.
        var apiPath: String
        var defaultBranch: String?
    }

    /// Step 2: `GET /repos/{owner}/{repo}` for existence, push permission and archived state.
    private func checkRepository(
        owner: String,
        name: String,
        tokenKind: GitHubTokenKind,
        scopesApply: Bool,
        api: APIClient,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws -> RepositoryFacts {
        let requested = "\(owner)/\(name)"
        let path = "/repos/\(PathSegment.encode(owner))/\(PathSegment.encode(name))"
        let request = "GET \(path)"
        let url = apiRoot + path
        let response = try await api.get(url)
        if report.expiresAt == nil {
            GitHubResponses.readTokenHeaders(response, into: &report)
        }
        try GitHubResponses.checkCommonFailures(response, request: request, context: context, report: report)

        switch response.status {
        case 200..<300:
            break
        case 404 where scopesApply && !report.scopes.contains("repo"):
            // GitHub hides private repositories from classic tokens without the repo scope behind a 404.
            report.canPush = false
            throw VerificationStop(
                status: .insufficientPermission,
                detail: "GitHub did not show \(requested) to the token, which lacks the repo scope that private "
                    + "repositories and pushing need; create a classic token with the repo scope, or check the name.",
                missing: ["repo"]
            )
        case 404:
            throw VerificationStop(
                status: .repositoryNotFound,
                detail: "The repository \(requested) does not exist or the token cannot see it; for a private "
                    + "repository the token needs the repo scope (classic) or access to that repository "
                    + "(fine-grained)."
            )
        case 403:
            throw GitHubResponses.forbidden(response, request: request)
        default:
            throw GitHubResponses.unexpectedStatus(response, request: request)
        }

        let document = try JSONDocument(body: response.body, source: "GitHub's response to \(request)")
        var facts = RepositoryFacts(fullName: requested, apiPath: path, defaultBranch: nil)
        facts.defaultBranch = try document.optionalString("default_branch")

        // A renamed or transferred repository returns a redirect to its new place.
        if let fullName = try document.optionalString("full_name"), fullName.lowercased() != requested.lowercased(),
            response.url != url, APIClient.hostOf(response.url) == APIClient.hostOf(url)
        {
            report.canonicalRepository = fullName
            report.notes.append(
                "GitHub redirected \(requested) to \(fullName): the repository was renamed or transferred; update "
                    + "the integration to the new name."
            )
            let parts = fullName.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                facts.fullName = fullName
                facts.apiPath = "/repos/\(PathSegment.encode(parts[0]))/\(PathSegment.encode(parts[1]))"
            }
        }

        let mayPush = try document.optionalBool("permissions", "push")
        let isArchived = try document.optionalBool("archived") ?? false
        let isDisabled = try document.optionalBool("disabled") ?? false
        let isPrivate = try document.optionalBool("private") ?? true

        var missing: [String] = []
        var reasons: [String] = []

        let hasPushScope = report.scopes.contains("repo") || (!isPrivate && report.scopes.contains("public_repo"))
        if scopesApply && !hasPushScope {
            missing.append("repo")
            reasons.append("The classic token lacks the repo scope, which pushing needs; create a token with it.")
        }
        switch mayPush {
        case true:
            break
        case false where tokenKind == .fineGrained:
            missing.append("push")
            reasons.append(
                "The fine-grained token may not push to \(facts.fullName); give it read and write access to "
                    + "Contents for this repository."
            )
        case false:
            missing.append("push")
            let account = report.account.map { "`\($0)`" } ?? "The token's account"
            reasons.append("\(account) has no write access to \(facts.fullName); ask a repository admin for it.")
        case nil:
            missing.append("push")
            reasons.append("GitHub did not report the token's permissions on \(facts.fullName).")
        }
        if isArchived {
            missing.append("unarchived repository")
            reasons.append(
                "\(facts.fullName) is archived and GitHub rejects pushes to it; unarchive it in the repository "
                    + "settings."
            )
        }
        if isDisabled {
            missing.append("enabled repository")
            reasons.append("GitHub has disabled \(facts.fullName); its owner must contact GitHub support.")
        }

        report.canPush = missing.isEmpty
        if !missing.isEmpty {
            throw VerificationStop(
                status: .insufficientPermission,
                detail: reasons.joined(separator: " "),
                missing: missing
            )
        }
        return facts
    }

    /// Step 3: `GET /repos/{owner}/{repo}/branches/{branch}` for existence and protection.
    private func checkBranch(
        _ branch: String,
        repository: RepositoryFacts,
        api: APIClient,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws {
        // The branch name is one encoded segment, so `/` in `feature/x` travels as %2F.
        let path = repository.apiPath + "/branches/" + PathSegment.encode(branch)
        let request = "GET \(path)"
        let response = try await api.get(apiRoot + path)
        try GitHubResponses.checkCommonFailures(response, request: request, context: context, report: report)

        switch response.status {
        case 200..<300:
            break
        case 404:
            let hint = repository.defaultBranch.map { " (the default branch is `\($0)`)" } ?? ""
            throw VerificationStop(
                status: .branchNotFound,
                detail: "The branch `\(branch)` does not exist in \(repository.fullName)\(hint); create it or "
                    + "choose an existing branch."
            )
        case 403:
            throw GitHubResponses.forbidden(response, request: request)
        default:
            throw GitHubResponses.unexpectedStatus(response, request: request)
        }

        let document = try JSONDocument(body: response.body, source: "GitHub's response to \(request)")
        let isProtected = try document.optionalBool("protected")
        report.branchProtected = isProtected
        if isProtected == true {
            report.notes.append(
                "The branch `\(branch)` is protected: GitHub may reject pushes that its protection rules or "
                    + "rulesets do not allow, such as pushes without a pull request."
            )
        }
    }
}

/// The families of GitHub tokens that differ in how scopes work, recognized by their documented prefixes.
enum GitHubTokenKind: Equatable {
    /// `github_pat_`: fine-grained personal access tokens, with permissions instead of scopes.
    case fineGrained
    /// `ghs_` and `ghu_`: GitHub App installation and user tokens, with permissions instead of scopes.
    case app
    /// `ghp_`, `gho_` and older unprefixed tokens, whose scopes come in `X-OAuth-Scopes`.
    case classic

    init(_ secret: Secret) {
        // Only the prefix is inspected, and nothing of the text leaves this initializer.
        let text = secret.revealed()
        if text.hasPrefix("github_pat_") {
            self = .fineGrained
        } else if text.hasPrefix("ghs_") || text.hasPrefix("ghu_") {
            self = .app
        } else {
            self = .classic
        }
    }
}

extension CredentialKind {
    /// A short description for messages about a credential used on the wrong platform.
    var summary: String {
        switch self {
        case .accessToken: "personal access token"
        case .bitbucketAPIToken: "Bitbucket Cloud API token"
        case .bitbucketAccessToken: "Bitbucket Cloud access token"
        case .bitbucketAppPassword: "Bitbucket Cloud app password"
        case .dataCenterBearerToken: "Bitbucket Data Center project or repository token"
        }
    }
}

extension GitHubAdapter {
    public func normalizedRepository(_ repository: String) throws -> String {
        let parts = try Self.parseRepository(repository)
        return "\(parts.owner)/\(parts.name)"
    }
}
