import Synchronization
import XapiCore

/// Records what a client logs, to check what it reports and that no secret appears.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var log: Log {
        Log(minimumLevel: .debug) { [self] level, message, metadata in
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lines.withLock { $0.append("\(level) \(message) \(fields)") }
        }
    }

    var recorded: [String] { lines.withLock { $0 } }
}
