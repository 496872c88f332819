import Foundation
import LabSupport
import Testing
import XapiCore
@testable import XapiHTTP

/// Certificates signed by the trusted lab CA that still must fail: one that expired and one for another host.
@Suite struct CertificateRejectionTests {
    let lab: Lab

    init() throws {
        lab = try Lab.shared()
    }

    @Test func expiredCertificateIsRejected() async throws {
        let expiredURL = try #require(lab.expiredURL, "the lab printed no XAPI_LAB_EXPIRED_URL: restart it")
        let client = HTTPClient(settings: NetworkSettings(caFile: lab.caFile))
        let token = Secret("expired-test-token-\(UUID().uuidString)")

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: expiredURL + "/_lab/echo", credential: .bearer(token)))
        }

        #expect(error.kind == .tlsFailure)
        #expect(error.host == "localhost")
        #expect(error.curlCode == 60)
        #expect(error.message.contains("the certificate of localhost has expired"))
        #expect(error.message.contains("certificate has expired"))
        #expect(!error.description.contains(token.revealed()))
    }

    @Test(arguments: ["localhost", "127.0.0.1"])
    func wrongHostCertificateIsRejected(host: String) async throws {
        let wrongHostURL = try #require(lab.wrongHostURL, "the lab printed no XAPI_LAB_WRONG_HOST_URL: restart it")
        let url = wrongHostURL.replacing("//localhost:", with: "//\(host):")
        let client = HTTPClient(settings: NetworkSettings(caFile: lab.caFile))
        let token = Secret("wrong-host-test-token-\(UUID().uuidString)")

        let error = try await #require(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(url: url + "/_lab/echo", credential: .bearer(token)))
        }

        #expect(error.kind == .tlsFailure)
        #expect(error.host == host)
        #expect(error.curlCode == 60)
        #expect(error.message.contains("the certificate of \(host) does not name that host"))
        #expect(error.message.contains("'\(host)'"))
        #expect(!error.description.contains(token.revealed()))
    }
}
