import Foundation
public import XapiHTTP
import XapiCore

/// Verifies HTTP access tokens and builds Git access for Bitbucket Data Center (formerly Bitbucket Server).
///
/// Data Center has no "who am I" endpoint: a verification reads the user from the `X-AUSERNAME` header of
/// `GET /rest/api/1.0/application-properties`, then checks the repository, write access (the repository is
/// among `GET /rest/api/1.0/repos?permission=REPO_WRITE`) and the branch.
public struct BitbucketDataCenterAdapter: PlatformAdapter {
    public var platform: Platform { .bitbucketDataCenter }

    public let server: BaseURL
    /// The REST API root, `BASE/rest/api/1.0`.
    public var apiRoot: String { "\(server)/rest/api/1.0" }
    private let transport: any HTTPTransport

    /// The maximum number of pages of a paged list read before giving up, so that a server that never sets `isLastPage`
    /// cannot loop forever.
    static let maxPages = 50
    /// Entries asked for per page; Data Center caps `limit` at a server setting, 1000 by default.
    static let pageSize = 100

    /// Creates an adapter for the server at `baseURL`, which may carry a context path
    /// (`https://host/bitbucket`). A trailing `/rest/api/1.0` is dropped, since people paste the API URL too.
    public init(baseURL: BaseURL, transport: any HTTPTransport) {
        self.transport = transport
        var server = baseURL
        if server.path.lowercased().hasSuffix("/rest/api/1.0") {
            server = server.replacingPath(String(server.path.dropLast("/rest/api/1.0".count)))
        }
        self.server = server
    }

    /// Splits `PROJECT/REPO` into the project key and the repository slug after dropping a trailing `.git`.
    ///
    /// Project keys have letters, digits and `_`, or are `~user` for a personal project; slugs have letters,
    /// digits, `-`, `_` and `.`. The slug is returned in lower case, as Bitbucket uses it in URLs.
    ///
    /// - Throws: `PlatformError` of kind `invalidRepository` naming the value.
    public static func parseRepository(_ text: String) throws(PlatformError) -> (projectKey: String, slug: String) {
        var trimmed = text.trimmingWhitespaceAndNewlines()
        if trimmed.lowercased().hasSuffix(".git") {
            trimmed = String(trimmed.dropLast(4))
        }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let usage = "write it as PROJECT/REPOSITORY with the project key, such as API/specs, or ~USER/REPOSITORY"
        guard parts.count == 2 else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "`\(text)` is not a Bitbucket Data Center repository name; \(usage)."
            )
        }

        let key = parts[0]
        let keyBody = key.hasPrefix("~") ? key.dropFirst() : key
        // Personal project keys are `~` and a user slug, which may also hold `-`, `.` and `@`.
        let extraKeyCharacters = key.hasPrefix("~") ? "-.@" : ""
        let keyIsValid = !keyBody.isEmpty
            && keyBody.allSatisfy { character in
                character.isASCII
                    && (character.isLetter || character.isNumber || character == "_"
                        || extraKeyCharacters.contains(character))
            }
        let slug = parts[1]
        let slugIsValid = !slug.isEmpty && slug != "." && slug != ".."
            && slug.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard keyIsValid, slugIsValid else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "`\(text)` has characters that Bitbucket Data Center does not allow in a project key "
                    + "(letters, digits, `_`) or repository slug (letters, digits, `-`, `_`, `.`); \(usage)."
            )
        }
        return (String(key), slug.lowercased())
    }

    /// Checks that the credential kind is one that Data Center accepts: personal tokens (`.accessToken`) and
    /// project or repository tokens (`.dataCenterBearerToken`), both sent as Bearer.
    static func checkKind(_ kind: CredentialKind) throws(PlatformError) {
        switch kind {
        case .accessToken, .dataCenterBearerToken:
            return
        case .bitbucketAPIToken, .bitbucketAccessToken, .bitbucketAppPassword:
            throw PlatformError(
                kind: .invalidCredential,
                message: "Bitbucket Data Center accepts HTTP access tokens (personal, project or repository), but "
                    + "this credential is a \(kind.summary); reconnect with a Data Center token."
            )
        }
    }

    /// The Git URL and credential. Both token kinds travel as `Authorization: Bearer`.
    ///
    /// Project and repository tokens work only as Bearer. Personal tokens would also work as the Basic password
    /// of their user, but the user name is known only after a verification, so they use Bearer too. The
    /// `username` is then a placeholder that Git never sends.
    public func gitAccess(token: AccessToken, at location: RepositoryLocation) throws -> GitAccess {
        try Self.checkKind(token.kind)
        let (key, slug) = try Self.parseRepository(location.repository)
        return GitAccess(
            url: "\(server)/scm/\(key)/\(slug).git",
            username: "x-token-auth",
            password: token.secret,
            sendsBearer: true
        )
    }

    public func verify(
        token: AccessToken,
        at location: RepositoryLocation,
        context: VerificationContext
    ) async -> TokenReport {
        await TokenReport.collecting(platform: .bitbucketDataCenter) { report in
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
        let key: String
        let slug: String
        do {
            try Self.checkKind(token.kind)
        } catch {
            throw VerificationStop(status: .invalid, detail: error.message)
        }
        do {
            (key, slug) = try Self.parseRepository(location.repository)
        } catch {
            throw VerificationStop(status: .repositoryNotFound, detail: error.message)
        }
        let api = APIClient(
            platform: .bitbucketDataCenter,
            transport: transport,
            credential: .bearer(token.secret),
            headers: [("Accept", "application/json")]
        )
        let responses = BitbucketDataCenterResponses(context: context)
        let fullName = "\(key)/\(slug)"

        // Step 1: the user, from the header of any authenticated response.
        let propertiesRequest = "GET /rest/api/1.0/application-properties"
        let properties = try await api.get(apiRoot + "/application-properties")
        try responses.checkFailures(properties, request: propertiesRequest)
        report.account = properties.headers["X-AUSERNAME"]
        if report.account == nil {
            report.notes.append("Bitbucket Data Center did not name the token's user (no X-AUSERNAME header).")
        }

        // Step 2: the repository.
        let repositoryPath = "/projects/\(PathSegment.encode(key))/repos/\(PathSegment.encode(slug))"
        let repositoryRequest = "GET /rest/api/1.0\(repositoryPath)"
        let repositoryResponse = try await api.get(apiRoot + repositoryPath)
        if repositoryResponse.status == 404 {
            throw VerificationStop(
                status: .repositoryNotFound,
                detail: "The repository \(fullName) does not exist on \(server.host) or the token cannot see it; "
                    + "check the project key and slug, and the token's project or repository permission."
            )
        }
        try responses.checkFailures(repositoryResponse, request: repositoryRequest)
        let repository = try JSONDocument(
            body: repositoryResponse.body,
            source: "Bitbucket Data Center's response to \(repositoryRequest)"
        )
        if let id = try repository.optionalInteger("id") {
            report.platformProjectID = String(id)
        }
        let repositoryName = try repository.optionalString("name") ?? slug
        if try repository.optionalBool("archived") == true {
            report.canPush = false
            throw VerificationStop(
                status: .insufficientPermission,
                detail: "\(fullName) is archived and Bitbucket rejects pushes to it; ask a project admin to "
                    + "unarchive it.",
                missing: ["unarchived repository"]
            )
        }

        // Step 3: write access.
        let mayWrite = try await hasWritePermission(
            key: key,
            slug: slug,
            name: repositoryName,
            api: api,
            responses: responses
        )
        report.canPush = mayWrite
        if !mayWrite {
            let user = report.account.map { "`\($0)`" } ?? "The token"
            throw VerificationStop(
                status: .insufficientPermission,
                detail: "\(user) has no write permission on \(fullName); give the token the Repository write "
                    + "permission, or ask a project admin to grant the user write access.",
                missing: ["REPO_WRITE"]
            )
        }

        // Step 4: the branch.
        try await checkBranch(
            location.branch,
            repositoryPath: repositoryPath,
            fullName: fullName,
            api: api,
            responses: responses
        )

        let account = report.account.map { "The token of `\($0)`" } ?? "The token"
        report.conclude(
            validDetail: "\(account) may push to \(fullName), branch `\(location.branch)`.",
            context: context
        )
    }

    /// Pages through `GET /repos?permission=REPO_WRITE&projectkey=KEY&name=NAME` and looks for the slug.
    private func hasWritePermission(
        key: String,
        slug: String,
        name: String,
        api: APIClient,
        responses: BitbucketDataCenterResponses
    ) async throws -> Bool {
        let query = "permission=REPO_WRITE&projectkey=\(PathSegment.encode(key))&name=\(PathSegment.encode(name))"
            + "&limit=\(Self.pageSize)"
        return try await pages(path: "/repos?" + query, api: api, responses: responses) { value in
            let valueSlug = try value.optionalString("slug")?.lowercased()
            let valueKey = try value.optionalString("project", "key")?.lowercased()
            return valueSlug == slug && valueKey == key.lowercased()
        }
    }

    /// Searches the branches with `filterText` and looks for an exact `displayId` match.
    private func checkBranch(
        _ branch: String,
        repositoryPath: String,
        fullName: String,
        api: APIClient,
        responses: BitbucketDataCenterResponses
    ) async throws {
        let path = repositoryPath + "/branches?filterText=\(PathSegment.encode(branch))&limit=\(Self.pageSize)"
        let found = try await pages(path: path, api: api, responses: responses) { value in
            try value.optionalString("displayId") == branch
        }
        if !found {
            throw VerificationStop(
                status: .branchNotFound,
                detail: "The branch `\(branch)` does not exist in \(fullName); create it or choose an existing "
                    + "branch."
            )
        }
    }

    /// Reads a paged list until `matches` accepts a value or the last page; returns whether a value matched.
    ///
    /// Data Center pages carry `values`, `isLastPage` and `nextPageStart`; the next page is asked for with
    /// `start=nextPageStart`.
    private func pages(
        path: String,
        api: APIClient,
        responses: BitbucketDataCenterResponses,
        matches: (JSONDocument) throws -> Bool
    ) async throws -> Bool {
        var start = 0
        for _ in 0..<Self.maxPages {
            let pagePath = start == 0 ? path : path + "&start=\(start)"
            let request = "GET /rest/api/1.0\(pagePath)"
            let response = try await api.get(apiRoot + pagePath)
            try responses.checkFailures(response, request: request)
            let document = try JSONDocument(
                body: response.body,
                source: "Bitbucket Data Center's response to \(request)"
            )
            for value in try document.array("values") where try matches(value) {
                return true
            }
            guard try document.optionalBool("isLastPage") == false,
                let next = try document.optionalInteger("nextPageStart"), next > start
            else { return false }
            start = next
        }
        // TODO: a match after maxPages pages of 100 entries is missed; raise the limit if servers need it.
        return false
    }
}

/// The mapping from Bitbucket Data Center's error responses to report statuses.
struct BitbucketDataCenterResponses {
    let context: VerificationContext

    /// Throws the finding for any non-2xx response; returns for 2xx.
    func checkFailures(_ response: HTTPResponse, request: String) throws(VerificationStop) {
        guard !(200..<300).contains(response.status) else { return }
        let message = APIClient.serverMessage(response.body)
        let quoted = message.map { " (\($0))" } ?? ""

        switch response.status {
        case 401:
            let mentionsExpiry = message?.lowercased().contains("expired") ?? false
            if mentionsExpiry || context.knownExpiry.map({ $0 <= context.now }) == true {
                throw VerificationStop(
                    status: .expired,
                    detail: "Bitbucket Data Center rejected the token, which has expired\(quoted); create a new "
                        + "token and reconnect."
                )
            }
            throw VerificationStop(
                status: .invalid,
                detail: "Bitbucket Data Center rejected the token\(quoted): it is wrong, expired or revoked. Create "
                    + "a new HTTP access token and reconnect."
            )
        case 403:
            throw VerificationStop(
                status: .insufficientPermission,
                detail: "Bitbucket Data Center rejected \(request)\(quoted); give the token read and write "
                    + "permission on the repository."
            )
        case 429:
            let retryAt = RetryTime.fromRetryAfter(response.headers["Retry-After"], now: context.now)
                ?? RetryTime.fromResetHeader(response.headers["X-RateLimit-Reset"], now: context.now)
                ?? context.now.addingTimeInterval(RetryTime.defaultWait)
            throw VerificationStop(
                status: .rateLimited,
                detail: "Bitbucket Data Center rate-limited the check\(quoted); try again after "
                    + "\(retryAt.formatted(.iso8601)).",
                retryAt: retryAt
            )
        default:
            let advice = response.status >= 500 ? "The server has a problem; try again later." : "Check the base URL."
            throw VerificationStop(
                status: .unexpectedResponse,
                detail: "Bitbucket Data Center returned HTTP \(response.status) for \(request)\(quoted). \(advice)"
            )
        }
    }
}

extension BitbucketDataCenterAdapter {
    public func normalizedRepository(_ repository: String) throws -> String {
        let parts = try Self.parseRepository(repository)
        return "\(parts.projectKey)/\(parts.slug)"
    }
}
