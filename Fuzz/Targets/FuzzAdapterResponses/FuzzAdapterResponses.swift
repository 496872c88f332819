import Dispatch
import Foundation
import XapiCore
import XapiHTTP
import XapiPlatforms

/// Feeds fuzzed HTTP responses to the token verification of every platform adapter.
///
/// Input layout: byte 0 picks the platform and credential kind, bytes 1–2 the status (100–599), and the rest
/// is one or more responses separated by a line `=====`. Each response is header lines (`Name: value`), an
/// empty line and the body. Requests get the responses in order; the last one repeats.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdapterResponses(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 3 else { return 0 }

    let choice = Int(bytes[0]) % FuzzCase.all.count
    let status = 100 + (Int(bytes[1]) << 8 | Int(bytes[2])) % 500
    let responses = ScriptedResponses.parse(Array(bytes[3...]), status: status)
    let fuzzCase = FuzzCase.all[choice]

    let transport = ScriptedTransport(responses: responses)
    let finished = DispatchSemaphore(value: 0)
    Task {
        defer { finished.signal() }
        guard
            let adapter = try? PlatformAdapters.adapter(
                for: fuzzCase.platform, baseURL: "https://localhost:8443/api", transport: transport)
        else { return }
        let report = await adapter.verify(
            token: AccessToken(kind: fuzzCase.kind, secret: Secret(FuzzCase.token)),
            at: RepositoryLocation(
                platform: fuzzCase.platform, baseURL: "https://localhost:8443/api", repository: fuzzCase.repository,
                branch: "main"),
            context: VerificationContext(now: Date(timeIntervalSince1970: 1_780_000_000))
        )
        // Whatever the server sends, the report must never carry the token it was verified with.
        if String(describing: report).contains(FuzzCase.token) {
            fatalError("the verification report contains the token")
        }
    }
    finished.wait()
    return 0
}

/// A platform, a credential kind and a repository name that its adapter accepts.
struct FuzzCase {
    static let token = "fuzz-token-0123456789abcdef"

    let platform: Platform
    let kind: CredentialKind
    let repository: String

    static let all: [FuzzCase] = [
        FuzzCase(platform: .github, kind: .accessToken, repository: "octo/specs"),
        FuzzCase(platform: .gitlab, kind: .accessToken, repository: "group/sub/specs"),
        FuzzCase(platform: .bitbucket, kind: .bitbucketAccessToken, repository: "space/specs"),
        FuzzCase(platform: .bitbucket, kind: .bitbucketAPIToken(email: "me@example.com"), repository: "space/specs"),
        FuzzCase(platform: .bitbucketDataCenter, kind: .dataCenterBearerToken, repository: "PROJ/specs"),
    ]
}

/// Splits fuzz bytes into responses.
enum ScriptedResponses {
    static func parse(_ bytes: [UInt8], status: Int) -> [HTTPResponse] {
        let separator = Array("\n=====\n".utf8)
        var parts: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + separator.count <= bytes.count {
            if Array(bytes[index..<index + separator.count]) == separator {
                parts.append(Array(bytes[start..<index]))
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(Array(bytes[start...]))
        return parts.map { response(from: $0, status: status) }
    }

    private static func response(from bytes: [UInt8], status: Int) -> HTTPResponse {
        let blankLine = Array("\n\n".utf8)
        var split = bytes.count
        if bytes.count >= 2 {
            for index in 0...(bytes.count - 2) where Array(bytes[index..<index + 2]) == blankLine {
                split = index
                break
            }
        }
        var headers = HTTPHeaders()
        for line in String(decoding: bytes[..<split], as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append(name: name, value: value)
        }
        let body = split + 2 <= bytes.count ? Array(bytes[(split + 2)...]) : []
        return HTTPResponse(status: status, headers: headers, body: body, url: "https://localhost:8443/api")
    }
}

/// Returns the scripted responses in order, repeating the last, and never touches the network.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private let responses: [HTTPResponse]
    private var next = 0

    init(responses: [HTTPResponse]) {
        self.responses = responses
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock {
            var response = responses[min(next, responses.count - 1)]
            next += 1
            response.url = request.url
            return response
        }
    }
}
