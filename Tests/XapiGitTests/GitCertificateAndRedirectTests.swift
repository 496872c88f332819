import Foundation
import LabSupport
import Testing
import XapiCore
import XapiGit

/// Git transfers to servers whose certificates must fail, and redirects that would carry the credential to
/// another host.
@Suite struct GitCertificateAndRedirectTests {
    @Test func expiredCertificateFailsFetch() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let expiredURL = try #require(repository.lab.expiredURL, "the lab printed no XAPI_LAB_EXPIRED_URL: restart it")
        try configureTransport(repository.lab)
        let mirror = try await Mirror.open(
            at: try temporaryDirectory("expired"), remoteURL: expiredURL + "/github/" + repository.name + ".git")

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        }

        #expect(error?.kind == .tlsFailure)
        #expect(error?.message.contains("the certificate of localhost") == true)
        #expect(error?.message.contains("has expired") == true)
        #expect(error?.message.contains(repository.token.revealed()) == false)
    }

    @Test func wrongHostCertificateFailsFetch() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let wrongHostURL = try #require(
            repository.lab.wrongHostURL, "the lab printed no XAPI_LAB_WRONG_HOST_URL: restart it")
        try configureTransport(repository.lab)
        let mirror = try await Mirror.open(
            at: try temporaryDirectory("wrong-host"), remoteURL: wrongHostURL + "/github/" + repository.name + ".git")

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        }

        #expect(error?.kind == .tlsFailure)
        #expect(error?.message.contains("the certificate of localhost") == true)
        #expect(error?.message.contains("does not name that host") == true)
        #expect(error?.message.contains(repository.token.revealed()) == false)
    }

    @Test func crossHostRedirectNeverReachesOtherHost() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        try configureTransport(repository.lab)
        // A path that no other request uses, so the lab's request log shows whether 127.0.0.1 got a request.
        let marker = Lab.uniqueName("cross-host-target")
        let otherHostURL = repository.lab.url.replacing("//localhost:", with: "//127.0.0.1:") + "/github/"
            + repository.owner + "/" + marker + ".git"
        let redirecting = repository.lab.url + "/_lab/redirect?status=307&to=" + otherHostURL
        let mirror = try await Mirror.open(at: try temporaryDirectory("cross-log"), remoteURL: redirecting)

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        }

        #expect(error?.message.contains("another host") == true)
        #expect(error?.message.contains(repository.token.revealed()) == false)
        let log = try repository.lab.serverLog()
        #expect(log.contains("GET /_lab/redirect"))
        #expect(!log.contains(marker), "the redirect target on 127.0.0.1 received a request")
    }

    @Test func sameHostRedirectReachesTarget() async throws {
        // The counterpart of the test above: a followed redirect does show up in the request log.
        let repository = try await GitHubRepositoryFixture.make()
        try configureTransport(repository.lab)
        let marker = Lab.uniqueName("same-host-target")
        let missingURL = repository.lab.baseURL("github") + "/" + repository.owner + "/" + marker + ".git"
        let redirecting = repository.lab.url + "/_lab/redirect?status=307&to=" + missingURL
        let mirror = try await Mirror.open(at: try temporaryDirectory("same-log"), remoteURL: redirecting)

        let error = await #expect(throws: GitError.self) {
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        }

        #expect(error?.kind == .repositoryNotFound)
        #expect(try repository.lab.serverLog().contains("GET /github/\(repository.owner)/\(marker).git/info/refs"))
    }
}
