import Testing
@testable import XapiPlatforms

/// Parsing and normalisation of the repository names that users give for each platform.
@Suite struct RepositoryNameTests {
    // MARK: GitHub

    @Test(arguments: [
        ("octo-org/api-specs", "octo-org", "api-specs"),
        ("octo-org/api-specs.git", "octo-org", "api-specs"),
        (" Octo_Org/Specs.v2 ", "Octo_Org", "Specs.v2"),
    ])
    func gitHubNameIsSplit(input: String, owner: String, name: String) throws {
        let parsed = try GitHubAdapter.parseRepository(input)

        #expect(parsed.owner == owner)
        #expect(parsed.name == name)
    }

    @Test(arguments: [
        "octo-org", "octo-org/", "/api-specs", "a/b/c", "-octo/specs", "octo/..", "octo/sp ecs", "octo/spécs",
        "https://github.com/octo-org/api-specs",
    ])
    func malformedGitHubNameIsRejected(input: String) throws {
        let error = try #require(throws: PlatformError.self) {
            try GitHubAdapter.parseRepository(input)
        }

        #expect(error.kind == .invalidRepository)
        #expect(error.message.contains("OWNER/REPO"))
    }

    // MARK: GitLab

    @Test(arguments: [
        ("group/project", "group/project"),
        ("group/sub/project", "group/sub/project"),
        ("group/sub/project.git", "group/sub/project"),
        ("/group/sub/project/", "group/sub/project"),
        ("https://gitlab.com/group/sub/project.git/", "group/sub/project"),
        ("https://gitlab.com/group/sub/project/-/tree/main", "group/sub/project"),
        ("https://gitlab.com/group/sub/project/-/blob/main/specs/openapi.yaml", "group/sub/project"),
        ("https://GitLab.com/group/project/-/", "group/project"),
        ("https://gitlab.com/group/project?tab=readme#top", "group/project"),
        ("group/my.project_v2-x", "group/my.project_v2-x"),
    ])
    func gitLabPathIsNormalized(input: String, expected: String) throws {
        #expect(try GitLabAdapter.normalizeProjectPath(input, baseURL: nil) == expected)
    }

    @Test func gitLabPathDropsBaseContextPath() throws {
        let base = try BaseURL(validating: "https://git.example.com/gitlab")

        let path = try GitLabAdapter.normalizeProjectPath(
            "https://git.example.com/gitlab/group/project/-/tree/main",
            baseURL: base
        )

        #expect(path == "group/project")
    }

    @Test func gitLabURLOnOtherHostIsRejected() throws {
        let base = try BaseURL(validating: "https://gitlab.example.com")

        let error = try #require(throws: PlatformError.self) {
            try GitLabAdapter.normalizeProjectPath("https://gitlab.com/group/project", baseURL: base)
        }

        #expect(error.kind == .invalidRepository)
        #expect(error.message.contains("gitlab.com"))
        #expect(error.message.contains("gitlab.example.com"))
    }

    @Test func gitLabURLWithTokenIsRejectedWithoutEcho() throws {
        let error = try #require(throws: PlatformError.self) {
            try GitLabAdapter.normalizeProjectPath("https://oauth2:glpat-secret@gitlab.com/group/project", baseURL: nil)
        }

        #expect(error.kind == .invalidRepository)
        #expect(!error.message.contains("glpat-secret"))
        #expect(error.message.contains("gitlab.com"))
    }

    @Test(arguments: ["project", "group//project", "group/-project", "group/pro ject", "group/.hidden", ""])
    func malformedGitLabPathIsRejected(input: String) throws {
        let error = try #require(throws: PlatformError.self) {
            try GitLabAdapter.normalizeProjectPath(input, baseURL: nil)
        }

        #expect(error.kind == .invalidRepository)
    }

    // MARK: Bitbucket

    @Test func bitbucketCloudNameIsSplit() throws {
        let parsed = try BitbucketCloudAdapter.parseRepository("acme/api-specs.git")

        #expect(parsed.workspace == "acme")
        #expect(parsed.slug == "api-specs")
    }

    @Test(arguments: ["acme", "acme/specs/extra", "ac.me/specs", "acme/sp ecs", "/specs"])
    func malformedBitbucketCloudNameIsRejected(input: String) throws {
        let error = try #require(throws: PlatformError.self) {
            try BitbucketCloudAdapter.parseRepository(input)
        }

        #expect(error.kind == .invalidRepository)
    }

    @Test(arguments: [
        ("API/Specs", "API", "specs"),
        ("api/specs.git", "api", "specs"),
        ("~jane.doe/Notes", "~jane.doe", "notes"),
    ])
    func dataCenterNameIsSplit(input: String, key: String, slug: String) throws {
        let parsed = try BitbucketDataCenterAdapter.parseRepository(input)

        #expect(parsed.projectKey == key)
        #expect(parsed.slug == slug)
    }

    @Test(arguments: ["API", "API/specs/x", "A-PI/specs", "~/specs", "API/sp ecs"])
    func malformedDataCenterNameIsRejected(input: String) throws {
        let error = try #require(throws: PlatformError.self) {
            try BitbucketDataCenterAdapter.parseRepository(input)
        }

        #expect(error.kind == .invalidRepository)
    }
}
