import Foundation
import LabSupport
import Testing
import XapiCore
import XapiHTTP
import XapiPlatforms

/// Network failures on every platform: a closed port, a server that never responds, and an untrusted
/// certificate.
@Suite struct TransportFailureLabTests {
    let fixture: LabFixture
    var lab: Lab { fixture.lab }

    init() throws {
        fixture = try LabFixture()
    }

    /// Returns a repository name of the right form for `platform`; the failures happen before it matters.
    static func repository(for platform: Platform) -> String {
        switch platform {
        case .github, .bitbucket: "acme/specs"
        case .gitlab: "acme/apis/specs"
        case .bitbucketDataCenter: "ACME/specs"
        }
    }

    func verify(_ platform: Platform, baseURL: String, transport: any HTTPTransport) async throws -> TokenReport {
        let adapter = try PlatformAdapters.adapter(for: platform, baseURL: baseURL, transport: transport)
        let location = RepositoryLocation(
            platform: platform,
            baseURL: baseURL,
            repository: Self.repository(for: platform),
            branch: "main"
        )
        let token = AccessToken(secret: Secret("transport-test-token"))
        let report = await adapter.verify(token: token, at: location, context: VerificationContext())
        try expectNoSecret(token.secret, in: report)
        return report
    }

    @Test(arguments: [Platform.github, .gitlab, .bitbucket, .bitbucketDataCenter])
    func closedPortIsUnreachable(platform: Platform) async throws {
        let closedPort = "https://localhost:1/\(platform.rawValue)"

        let report = try await verify(platform, baseURL: closedPort, transport: fixture.client)

        #expect(report.status == .unreachable, "\(report.detail)")
        #expect(report.detail.contains("localhost"))
    }

    @Test(arguments: [Platform.github, .gitlab, .bitbucket, .bitbucketDataCenter])
    func silentServerTimesOut(platform: Platform) async throws {
        let impatient = HTTPClient(
            settings: NetworkSettings(caFile: lab.caFile, connectTimeout: .seconds(1), operationTimeout: .seconds(2))
        )
        let start = ContinuousClock.now

        let report = try await verify(platform, baseURL: lab.stallURL + "/\(platform.rawValue)", transport: impatient)

        #expect(report.status == .unreachable, "\(report.detail)")
        #expect(report.detail.contains("timed out"))
        // The stall port stays silent for ten minutes. The bound is far above the 2 s timeout because tests
        // that run in parallel and block threads on labctl can delay this task's resumption by many seconds.
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test(arguments: [Platform.github, .gitlab, .bitbucket, .bitbucketDataCenter])
    func untrustedCertificateIsTLSFailure(platform: Platform) async throws {
        let withoutLabCA = HTTPClient(
            settings: NetworkSettings(connectTimeout: .seconds(5), operationTimeout: .seconds(10))
        )

        let report = try await verify(platform, baseURL: lab.baseURL(platform.rawValue), transport: withoutLabCA)

        #expect(report.status == .tlsFailure, "\(report.detail)")
        #expect(report.detail.contains("localhost"))
        #expect(report.detail.contains("--ca-file"))
    }
}
