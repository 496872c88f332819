import Testing
import XapiCore
import XapiHTTP
@testable import XapiPlatforms

/// The factory's base URL handling and each adapter's Git URL and credential.
@Suite struct PlatformAdaptersTests {
    let transport = RecordedTransport([:])
    let token = AccessToken(secret: Secret("token-value"))

    @Test func gitHubDefaultsToGitHubDotCom() throws {
        let adapter = try #require(
            try PlatformAdapters.adapter(for: .github, baseURL: nil, transport: transport) as? GitHubAdapter
        )

        #expect(adapter.apiRoot == "https://api.github.com")
        #expect(adapter.webRoot == "https://github.com")
    }

    @Test(arguments: ["https://ghe.example.com/", "https://ghe.example.com/api/v3", "https://GHE.example.com"])
    func gitHubEnterpriseUsesAPIv3(baseURL: String) throws {
        let adapter = try #require(
            try PlatformAdapters.adapter(for: .github, baseURL: baseURL, transport: transport) as? GitHubAdapter
        )

        #expect(adapter.apiRoot == "https://ghe.example.com/api/v3")
        #expect(adapter.webRoot == "https://ghe.example.com")
    }

    @Test func gitHubDotComBaseURLMeansPublicAPI() throws {
        let adapter = try #require(
            try PlatformAdapters.adapter(for: .github, baseURL: "https://github.com/", transport: transport)
                as? GitHubAdapter
        )

        #expect(adapter.apiRoot == "https://api.github.com")
    }

    @Test func factoryRejectsUserInfo() throws {
        let error = try #require(throws: PlatformError.self) {
            try PlatformAdapters.adapter(
                for: .gitlab,
                baseURL: "https://me:glpat-x@gitlab.example.com",
                transport: transport
            )
        }

        #expect(error.kind == .invalidBaseURL)
        #expect(!error.message.contains("glpat-x"))
    }

    @Test func dataCenterNeedsBaseURL() throws {
        let error = try #require(throws: PlatformError.self) {
            try PlatformAdapters.adapter(for: .bitbucketDataCenter, baseURL: nil, transport: transport)
        }

        #expect(error.kind == .missingBaseURL)
    }

    @Test func everyPlatformGetsItsAdapter() throws {
        for platform in Platform.allCases {
            let adapter = try PlatformAdapters.adapter(
                for: platform,
                baseURL: "https://git.example.com",
                transport: transport
            )
            #expect(adapter.platform == platform)
        }
    }

    @Test func gitHubGitAccess() throws {
        let adapter = try PlatformAdapters.adapter(for: .github, baseURL: nil, transport: transport)
        let location = RepositoryLocation(platform: .github, baseURL: nil, repository: "octo/specs.git", branch: "main")

        let access = try adapter.gitAccess(token: token, at: location)

        #expect(access.url == "https://github.com/octo/specs.git")
        #expect(access.username == "x-access-token")
        #expect(access.password == token.secret)
        #expect(!access.sendsBearer)
    }

    @Test func gitLabGitAccess() throws {
        let adapter = try PlatformAdapters.adapter(
            for: .gitlab,
            baseURL: "https://git.example.com/gitlab/",
            transport: transport
        )
        let location = RepositoryLocation(
            platform: .gitlab,
            baseURL: "https://git.example.com/gitlab",
            repository: "https://git.example.com/gitlab/group/sub/project/-/tree/main",
            branch: "main"
        )

        let access = try adapter.gitAccess(token: token, at: location)

        #expect(access.url == "https://git.example.com/gitlab/group/sub/project.git")
        #expect(access.username == "oauth2")
        #expect(!access.sendsBearer)
    }

    @Test func bitbucketCloudGitUserDependsOnKind() throws {
        let adapter = try PlatformAdapters.adapter(for: .bitbucket, baseURL: nil, transport: transport)
        let location = RepositoryLocation(platform: .bitbucket, baseURL: nil, repository: "acme/specs", branch: "main")
        let secret = Secret("bitbucket-secret")

        let apiToken = try adapter.gitAccess(
            token: AccessToken(kind: .bitbucketAPIToken(email: "dev@example.com"), secret: secret),
            at: location
        )
        let accessToken = try adapter.gitAccess(
            token: AccessToken(kind: .bitbucketAccessToken, secret: secret),
            at: location
        )
        let appPassword = try adapter.gitAccess(
            token: AccessToken(kind: .bitbucketAppPassword(username: "jdoe"), secret: secret),
            at: location
        )

        #expect(apiToken.url == "https://bitbucket.org/acme/specs.git")
        #expect(apiToken.username == "x-bitbucket-api-token-auth")
        #expect(accessToken.username == "x-token-auth")
        #expect(appPassword.username == "jdoe")
    }

    @Test func bitbucketAppPasswordWithEmailIsRejected() throws {
        let adapter = try PlatformAdapters.adapter(for: .bitbucket, baseURL: nil, transport: transport)
        let location = RepositoryLocation(platform: .bitbucket, baseURL: nil, repository: "acme/specs", branch: "main")
        let token = AccessToken(kind: .bitbucketAppPassword(username: "dev@example.com"), secret: Secret("pw"))

        let error = try #require(throws: PlatformError.self) {
            try adapter.gitAccess(token: token, at: location)
        }

        #expect(error.kind == .invalidCredential)
        #expect(error.message.contains("e-mail"))
        #expect(error.message.contains("username"))
    }

    @Test func dataCenterGitAccessSendsBearer() throws {
        let adapter = try PlatformAdapters.adapter(
            for: .bitbucketDataCenter,
            baseURL: "https://bitbucket.example.com/context",
            transport: transport
        )
        let location = RepositoryLocation(
            platform: .bitbucketDataCenter,
            baseURL: "https://bitbucket.example.com/context",
            repository: "API/Specs",
            branch: "main"
        )

        let personal = try adapter.gitAccess(token: token, at: location)
        let project = try adapter.gitAccess(
            token: AccessToken(kind: .dataCenterBearerToken, secret: token.secret),
            at: location
        )

        #expect(personal.url == "https://bitbucket.example.com/context/scm/API/specs.git")
        #expect(personal.sendsBearer)
        #expect(project.sendsBearer)
    }

    @Test func wrongCredentialKindIsRejected() throws {
        let adapter = try PlatformAdapters.adapter(for: .github, baseURL: nil, transport: transport)
        let location = RepositoryLocation(platform: .github, baseURL: nil, repository: "octo/specs", branch: "main")
        let token = AccessToken(kind: .bitbucketAccessToken, secret: Secret("x"))

        let error = try #require(throws: PlatformError.self) {
            try adapter.gitAccess(token: token, at: location)
        }

        #expect(error.kind == .invalidCredential)
    }
}
