import LabSupport
import XapiCore
@testable import XapiHTTP

/// The lab's transport test endpoints, and clients configured to reach them.
struct LabEndpoints {
    let url: String
    let caFile: String
    let stallURL: String

    static func shared() throws -> LabEndpoints {
        let lab = try Lab.shared()
        return LabEndpoints(url: lab.url, caFile: lab.caFile, stallURL: lab.stallURL)
    }

    /// The lab URL with `localhost` replaced by `127.0.0.1`: the same server under another origin.
    var ipURL: String { url.replacing("//localhost:", with: "//127.0.0.1:") }

    func client(
        connectTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(30),
        maxResponseBytes: Int = 16 << 20,
        log: Log = .silent
    ) -> HTTPClient {
        HTTPClient(
            settings: NetworkSettings(
                caFile: caFile,
                connectTimeout: connectTimeout,
                operationTimeout: operationTimeout,
                maxResponseBytes: maxResponseBytes
            ),
            log: log
        )
    }
}
