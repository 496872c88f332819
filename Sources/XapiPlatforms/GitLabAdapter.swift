import Foundation
public import XapiHTTP
import XapiCore

/// Verifies tokens and builds Git access for GitLab.com and self-managed GitLab.
///
/// A verification reads the token's user (`GET /user`), its expiry and scopes
/// (`GET /personal_access_tokens/self`, GitLab 15.5 or later), the project with the caller's access level
/// (`GET /projects/:id`, and `GET /projects/:id/members/all/:user_id` when access is inherited), and the branch
/// with `can_push` (`GET /projects/:id/repository/branches/:branch`).
public struct GitLabAdapter: PlatformAdapter {
    public var platform: Platform { .gitlab }

    /// The server, `https://gitlab.com` when none was given.
    public let server: BaseURL
    /// The REST API root, `BASE/api/v4`.
    public var apiRoot: String { "\(server)/api/v4" }
    private let transport: any HTTPTransport

    /// The lowest access level that may push to unprotected branches: 30, Developer.
    static let developerAccessLevel = 30

    /// Creates an adapter for the server at `baseURL`, or for GitLab.com when it is nil. A trailing `/api/v4`
    /// is dropped, since people paste the API URL too.
    public init(baseURL: BaseURL?, transport: any HTTPTransport) {
        self.transport = transport
        var server = baseURL ?? BaseURL(scheme: "https", host: "gitlab.com", port: nil, path: "")
        if server.path.lowercased().hasSuffix("/api/v4") {
            server = server.replacingPath(String(server.path.dropLast("/api/v4".count)))
        }
        self.server = server
    }

    public func gitAccess(token: AccessToken, at location: RepositoryLocation) throws -> GitAccess {
        guard token.kind == .accessToken else {
            throw PlatformError(kind: .invalidCredential, message: Self.wrongKindMessage(token.kind))
        }
        let path = try Self.normalizeProjectPath(location.repository, baseURL: server)
        return GitAccess(
            url: "\(server)/\(path).git",
            username: "oauth2",
            password: token.secret,
            sendsBearer: false
        )
    }

    public func verify(
        token: AccessToken,
        at location: RepositoryLocation,
        context: VerificationContext
    ) async -> TokenReport {
        await TokenReport.collecting(platform: .gitlab) { report in
            try await check(token: token, at: location, context: context, report: &report)
        }
    }

    static func wrongKindMessage(_ kind: CredentialKind) -> String {
        "GitLab accepts personal, project and group access tokens, but this credential is a \(kind.summary); "
            + "reconnect with a GitLab token."
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
        let path: String
        do {
            path = try Self.normalizeProjectPath(location.repository, baseURL: server)
        } catch {
            throw VerificationStop(status: .repositoryNotFound, detail: error.message)
        }
        let api = APIClient(platform: .gitlab, transport: transport, credential: .bearer(token.secret), headers: [])

        let userID = try await checkUser(api: api, context: context, report: &report)
        let scopesKnown = try await checkTokenInfo(api: api, context: context, report: &report)
        let project = try await checkProject(path, userID: userID, api: api, context: context, report: &report)

        // Missing role, scope or an archived project matter more than a missing branch, so they stop first.
        var missing: [String] = []
        var reasons: [String] = []
        if project.accessLevel < Self.developerAccessLevel {
            let user = report.account.map { "`\($0)`" } ?? "The token's user"
            missing.append("Developer role")
            reasons.append(
                "\(user) has the access level \(project.accessLevel) (\(Self.roleName(project.accessLevel))) in "
                    + "\(path), and pushing needs Developer (30) or higher; ask a maintainer for it."
            )
        }
        if scopesKnown && !report.scopes.contains("write_repository") && !report.scopes.contains("api") {
            missing.append("write_repository")
            reasons.append("The token lacks the write_repository scope, which pushing needs; create a token with it.")
        }
        if project.isArchived {
            missing.append("unarchived project")
            reasons.append(
                "\(path) is archived and GitLab rejects pushes to it; unarchive it in the project settings."
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

        try await checkBranch(location.branch, project: project, api: api, context: context, report: &report)

        if !scopesKnown {
            report.notes.append(
                "The token's scopes are unknown, so whether it has write_repository was not checked."
            )
        }
        let account = report.account.map { "The token of `\($0)`" } ?? "The token"
        report.conclude(
            validDetail: "\(account) may push to \(path), branch `\(location.branch)`.",
            context: context
        )
    }

    /// Step 1: `GET /user` for the user's name, id and state. Returns the user id.
    private func checkUser(
        api: APIClient,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws -> Int {
        let request = "GET /user"
        let response = try await api.get(apiRoot + "/user")
        try GitLabResponses.checkFailures(response, request: request, context: context, report: report)

        let document = try JSONDocument(body: response.body, source: "GitLab's response to \(request)")
        report.account = try document.string("username")
        if try document.optionalString("state") == "blocked" {
            throw VerificationStop(
                status: .accountBlocked,
                detail: "The GitLab account `\(report.account ?? "")` that owns the token is blocked; an "
                    + "administrator must unblock it."
            )
        }
        return try document.integer("id")
    }

    /// Step 2: `GET /personal_access_tokens/self` for expiry, scopes and state. Returns whether the scopes
    /// are known, which they are not on servers older than GitLab 15.5.
    private func checkTokenInfo(
        api: APIClient,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws -> Bool {
        let request = "GET /personal_access_tokens/self"
        let response = try await api.get(apiRoot + "/personal_access_tokens/self")
        if response.status == 404 {
            report.notes.append(
                "This GitLab server does not report token expiry (GET /personal_access_tokens/self is missing; "
                    + "GitLab 15.5 or later has it)."
            )
            return false
        }
        try GitLabResponses.checkFailures(response, request: request, context: context, report: report)

        let document = try JSONDocument(body: response.body, source: "GitLab's response to \(request)")
        report.scopes = try document.strings("scopes")
        if let day = try document.optionalString("expires_at") {
            guard let expiry = ExpirationDate.parseDayStart(day) else {
                throw VerificationStop(
                    status: .unexpectedResponse,
                    detail: "GitLab's response to \(request) has the expiry `\(day)`, which is not a YYYY-MM-DD "
                        + "date."
                )
            }
            report.expiresAt = expiry
        }

        if try document.optionalBool("revoked") == true {
            throw VerificationStop(
                status: .revoked,
                detail: "The token was revoked; create a new token and reconnect."
            )
        }
        if let expiry = report.expiresAt, expiry <= context.now {
            throw VerificationStop(
                status: .expired,
                detail: "The token expired at \(expiry.formatted(.iso8601)); create a new token and reconnect."
            )
        }
        if try document.optionalBool("active") == false {
            throw VerificationStop(
                status: .invalid,
                detail: "GitLab reports the token as inactive; create a new token and reconnect."
            )
        }
        return true
    }

    /// Facts from step 3 about the project, for the permission and branch checks.
    private struct ProjectFacts {
        /// The API id: the numeric project id once known.
        var apiID: String
        var accessLevel: Int
        var isArchived: Bool
        var defaultBranch: String?
        var path: String
    }

    /// Step 3: `GET /projects/:id` for the id, access level and archived state.
    private func checkProject(
        _ path: String,
        userID: Int,
        api: APIClient,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws -> ProjectFacts {
        let encoded = PathSegment.encode(path)
        let request = "GET /projects/\(encoded)"
        let response = try await api.get(apiRoot + "/projects/" + encoded)
        if response.status == 404 {
            throw VerificationStop(
                status: .repositoryNotFound,
                detail: "The project \(path) does not exist on \(server.host) or the token cannot see it; check the "
                    + "path and that the token's user is a member."
            )
        }
        try GitLabResponses.checkFailures(response, request: request, context: context, report: report)

        let document = try JSONDocument(body: response.body, source: "GitLab's response to \(request)")
        let id = try document.integer("id")
        report.platformProjectID = String(id)
        var facts = ProjectFacts(
            apiID: String(id),
            accessLevel: 0,
            isArchived: try document.optionalBool("archived") ?? false,
            defaultBranch: try document.optionalString("default_branch"),
            path: try document.optionalString("path_with_namespace") ?? path
        )

        let projectLevel = try document.optionalInteger("permissions", "project_access", "access_level")
        let groupLevel = try document.optionalInteger("permissions", "group_access", "access_level")
        // TODO: instance administrators may push without membership, but this check reports them as lacking a role.
        if projectLevel == nil && groupLevel == nil {
            // Access inherited from a parent group leaves both fields null, so read the effective level.
            facts.accessLevel = try await effectiveAccessLevel(
                projectID: id,
                userID: userID,
                api: api,
                context: context,
                report: report
            )
        } else {
            facts.accessLevel = max(projectLevel ?? 0, groupLevel ?? 0)
        }
        return facts
    }

    /// `GET /projects/:id/members/all/:user_id`: the user's access level with inherited membership; 0 when the
    /// user is no member.
    private func effectiveAccessLevel(
        projectID: Int,
        userID: Int,
        api: APIClient,
        context: VerificationContext,
        report: TokenReport
    ) async throws -> Int {
        let request = "GET /projects/\(projectID)/members/all/\(userID)"
        let response = try await api.get(apiRoot + "/projects/\(projectID)/members/all/\(userID)")
        if response.status == 404 {
            return 0
        }
        try GitLabResponses.checkFailures(response, request: request, context: context, report: report)
        let document = try JSONDocument(body: response.body, source: "GitLab's response to \(request)")
        return try document.integer("access_level")
    }

    /// Step 4: `GET /projects/:id/repository/branches/:branch` for existence, protection and `can_push`.
    private func checkBranch(
        _ branch: String,
        project: ProjectFacts,
        api: APIClient,
        context: VerificationContext,
        report: inout TokenReport
    ) async throws {
        let path = "/projects/\(project.apiID)/repository/branches/\(PathSegment.encode(branch))"
        let request = "GET \(path)"
        let response = try await api.get(apiRoot + path)
        if response.status == 404 {
            let hint = project.defaultBranch.map { " (the default branch is `\($0)`)" } ?? ""
            throw VerificationStop(
                status: .branchNotFound,
                detail: "The branch `\(branch)` does not exist in \(project.path)\(hint); create it or choose an "
                    + "existing branch."
            )
        }
        try GitLabResponses.checkFailures(response, request: request, context: context, report: report)

        let document = try JSONDocument(body: response.body, source: "GitLab's response to \(request)")
        let isProtected = try document.optionalBool("protected")
        let canPush = try document.optionalBool("can_push")
        report.branchProtected = isProtected
        // Servers that omit `can_push` leave only the role check, which covers unprotected branches.
        report.canPush = canPush ?? (isProtected != true)
        if canPush == nil && isProtected == true {
            report.notes.append(
                "GitLab did not report whether the user may push to the protected branch `\(branch)`; the push "
                    + "itself will tell."
            )
        }

        if canPush == false {
            let rule = isProtected == true
                ? "its protection rules do not allow the token's user to push" : "GitLab denies the push"
            throw VerificationStop(
                status: .insufficientPermission,
                detail: "The branch `\(branch)` of \(project.path) is not open to pushes: \(rule); ask a maintainer "
                    + "to allow it or choose another branch.",
                missing: ["push to branch \(branch)"]
            )
        }
        if isProtected == true {
            report.notes.append(
                "The branch `\(branch)` is protected; GitLab allows this user to push, but force pushes stay "
                    + "rejected."
            )
        }
    }

    /// Returns the role name of a GitLab access level, for messages.
    static func roleName(_ level: Int) -> String {
        switch level {
        case 50...: "Owner"
        case 40..<50: "Maintainer"
        case 30..<40: "Developer"
        case 20..<30: "Reporter"
        case 15..<20: "Planner"
        case 10..<15: "Guest"
        case 5..<10: "Minimal Access"
        default: "no access"
        }
    }
}

extension GitLabAdapter {
    public func normalizedRepository(_ repository: String) throws -> String {
        try Self.normalizeProjectPath(repository, baseURL: server)
    }
}
