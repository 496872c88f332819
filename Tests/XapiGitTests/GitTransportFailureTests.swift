import Foundation
import LabSupport
import Testing
import XapiCore
import XapiGit

/// How the libcurl transport reports rejected credentials, missing access, stalled servers and redirects.
@Suite struct GitTransportFailureTests {
    @Test func wrongTokenFailsAuthentication() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let wrong = Secret("ghp_" + Lab.uniqueName("wrong").replacingOccurrences(of: "-", with: ""))
        let credential = GitCredential(username: "x-access-token", password: wrong)
        let started = ContinuousClock.now

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: credential, timeout: .seconds(20))
        }

        #expect(error?.kind == .authenticationFailed)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(error?.message.contains("localhost") == true)
        #expect(error?.message.contains(wrong.revealed()) == false)
        #expect("\(String(describing: error))".contains(wrong.revealed()) == false)
    }

    @Test func wrongTokenFailsPush() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let tip = try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        let commit = try #require(
            try await mirror.makeCommit(
                parent: tip, writes: [FileWrite(path: "a", contents: [1])], message: "m", author: signature))
        try await repository.lab.revoke(repository.token)

        let error = await #expect(throws: GitError.self) {
            try await mirror.push(commit, to: "main", credential: repository.credential, timeout: .seconds(20))
        }

        #expect(error?.kind == .authenticationFailed)
        #expect(error?.message.contains(repository.token.revealed()) == false)
        await #expect(try repository.branchTip() == tip?.hex)
    }

    @Test func readerTokenIsDeniedPush() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let reader = Lab.uniqueName("reader")
        try await repository.lab.run([
            "repo", "add", "--platform", "github", repository.name + "-shared", "--reader", reader,
            "--writer", repository.owner,
        ])
        let readerToken = try await repository.lab.addToken(platform: "github", user: reader)
        let credential = GitCredential(username: "x-access-token", password: readerToken)
        try configureTransport(repository.lab)
        let mirror = try await Mirror.open(
            at: try temporaryDirectory("reader"),
            remoteURL: repository.remoteURL.replacingOccurrences(
                of: ".git", with: "-shared.git"))

        let tip = try await mirror.fetch(branch: "main", credential: credential, timeout: .seconds(20))
        let commit = try #require(
            try await mirror.makeCommit(
                parent: tip, writes: [FileWrite(path: "a", contents: [1])], message: "m", author: signature))
        let error = await #expect(throws: GitError.self) {
            try await mirror.push(commit, to: "main", credential: credential, timeout: .seconds(20))
        }

        #expect(tip != nil)
        #expect(error?.kind == .accessDenied)
        #expect(error?.message.contains("HTTP 403") == true)
        #expect(error?.message.contains("denied to \(reader)") == true)
    }

    @Test func unknownRepositoryIsNotFound() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        try configureTransport(repository.lab)
        let mirror = try await Mirror.open(
            at: try temporaryDirectory("missing"),
            remoteURL: repository.lab.baseURL("github") + "/"
                + repository.owner + "/no-such-repo.git")

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        }

        #expect(error?.kind == .repositoryNotFound)
        #expect(error?.message.contains("no-such-repo.git") == true)
    }

    @Test func stalledServerTimesOut() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let prefix = "/github/" + repository.name + ".git"
        try await repository.lab.run(["stall", "on", "--prefix", prefix])
        let started = ContinuousClock.now

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(2))
        }
        try await repository.lab.run(["stall", "off", "--prefix", prefix])

        let elapsed = ContinuousClock.now - started
        #expect(error?.kind == .timedOut)
        #expect(error?.message.contains("timed out") == true)
        #expect(error?.message.contains("localhost") == true)
        #expect(elapsed >= .seconds(2))
        #expect(elapsed < .seconds(10))
    }

    @Test func silentPortTimesOut() async throws {
        let lab = try Lab.shared()
        try #require(!lab.stallURL.isEmpty)
        try configureTransport(lab)
        let mirror = try await Mirror.open(at: try temporaryDirectory("silent"), remoteURL: lab.stallURL + "/o/r.git")
        let credential = GitCredential(username: "x-access-token", password: Secret("unused"))
        let started = ContinuousClock.now

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: credential, timeout: .seconds(2))
        }

        #expect(error?.kind == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func sameHostRedirectIsFollowed() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        try configureTransport(repository.lab)
        let redirecting = repository.lab.url + "/_lab/redirect?status=302&to=" + repository.remoteURL
        let mirror = try await Mirror.open(at: try temporaryDirectory("redirect"), remoteURL: redirecting)

        let tip = try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))

        await #expect(tip?.hex == (try repository.branchTip()))
    }

    @Test func crossHostRedirectIsRejected() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        try configureTransport(repository.lab)
        let otherHost = repository.remoteURL.replacingOccurrences(of: "https://localhost", with: "https://127.0.0.1")
        let redirecting = repository.lab.url + "/_lab/redirect?status=307&to=" + otherHost
        let mirror = try await Mirror.open(at: try temporaryDirectory("cross"), remoteURL: redirecting)

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        }

        #expect(error?.kind == .other)
        #expect(error?.message.contains("another host") == true)
        #expect(error?.message.contains(repository.token.revealed()) == false)
    }

    @Test func bearerCredentialFailsOnGitHub() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let bearer = GitCredential(username: "x-access-token", password: repository.token, sendsBearer: true)

        // The lab's GitHub takes only Basic authentication for Git, as github.com does.
        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: bearer, timeout: .seconds(20))
        }

        #expect(error?.kind == .authenticationFailed)
    }

    @Test func bearerCredentialPushesToDataCenter() async throws {
        let lab = try Lab.shared()
        let user = Lab.uniqueName("bot")
        let name = Lab.uniqueName("proj") + "/" + Lab.uniqueName("repo")
        try await lab.addRepo(platform: "bitbucket-dc", name, writers: [user])
        let token = try await lab.addToken(platform: "bitbucket-dc", user: user, extra: ["--kind", "project-token"])
        try configureTransport(lab)
        let mirror = try await Mirror.open(
            at: try temporaryDirectory("bearer"), remoteURL: lab.baseURL("bitbucket-dc") + "/scm/" + name + ".git")
        let bearer = GitCredential(username: user, password: token, sendsBearer: true)
        let basic = GitCredential(username: user, password: token, sendsBearer: false)

        // Bitbucket Data Center accepts project tokens only as bearer tokens.
        let basicError = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: basic, timeout: .seconds(20))
        }
        let tip = try await mirror.fetch(branch: "main", credential: bearer, timeout: .seconds(20))
        let commit = try #require(
            try await mirror.makeCommit(
                parent: tip, writes: [FileWrite(path: "openapi.yaml", contents: windowsText)], message: "m",
                author: signature))
        try await mirror.push(commit, to: "main", credential: bearer, timeout: .seconds(20))

        #expect(basicError?.kind == .authenticationFailed)
        #expect(tip != nil)
        let directory = try await lab.repositoryPath(platform: "bitbucket-dc", name)
        #expect(try runGit(["--git-dir", directory, "cat-file", "blob", "main:openapi.yaml"]) == windowsText)
    }
}
