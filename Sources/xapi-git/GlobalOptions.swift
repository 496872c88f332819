import Foundation
import XapiCore
import XapiSync

/// Options that every command accepts, with their environment fallbacks.
struct GlobalOptions: Sendable {
    static let valueOptions: Set<String> = ["home", "as", "ca-file", "timeout"]
    static let flagOptions: Set<String> = ["json", "verbose"]

    var home: String
    var actor: String?
    var caFile: String?
    var json: Bool
    var verbose: Bool
    var timeoutSeconds: Int
    var environment: [String: String]

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        self.environment = environment
        home = arguments.value("home") ?? environment["XAPI_GIT_HOME"] ?? ConnectorConfiguration.defaultHome(environment: environment)
        actor = arguments.value("as") ?? environment["XAPI_GIT_USER"]
        caFile = arguments.value("ca-file") ?? environment["XAPI_GIT_CA_FILE"]
        json = arguments.has("json")
        verbose = arguments.has("verbose")
        if let text = arguments.value("timeout") {
            guard let seconds = Int(text), (1...3600).contains(seconds) else {
                throw UsageError("--timeout takes whole seconds from 1 to 3600, got '\(text)'")
            }
            timeoutSeconds = seconds
        } else {
            timeoutSeconds = 60
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw UsageError("the CA file '\(caFile)' given with --ca-file or XAPI_GIT_CA_FILE cannot be read")
        }
    }

    /// The acting member, or a usage error that says how to name one.
    func requireActor() throws(UsageError) -> String {
        guard let actor, !actor.isEmpty else {
            throw UsageError("name the acting member with --as USER or the XAPI_GIT_USER environment variable")
        }
        return actor
    }

    /// Opens the connector. Only `org init` passes `createsStore`; every other command reports a home
    /// without a store instead of creating one.
    func makeConnector(createsStore: Bool = false) async throws -> Connector {
        let log = Log(minimumLevel: verbose ? .debug : .warning) { level, message, metadata in
            let details = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let line = "xapi-git: \(level): \(message)" + (details.isEmpty ? "" : " \(details)") + "\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        var network = NetworkSettings(caFile: caFile)
        network.operationTimeout = .seconds(timeoutSeconds)
        var configuration = ConnectorConfiguration(
            home: home,
            keyFile: environment["XAPI_GIT_KEY_FILE"],
            keyBase64: environment["XAPI_GIT_KEY"],
            network: network,
            log: log
        )
        configuration.createsStore = createsStore
        return try await Connector.open(configuration)
    }
}
