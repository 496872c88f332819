/// A small logger that the library writes through and the caller chooses where it goes.
///
/// Libraries stay quiet unless the caller passes a log with a lower level. Messages are static text
/// with metadata; callers never put a secret into either, and `Secret` prints as `<redacted>` anyway.
public struct Log: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug = 0, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let minimumLevel: Level
    private let sink: @Sendable (Level, String, [String: String]) -> Void

    public init(minimumLevel: Level, sink: @escaping @Sendable (Level, String, [String: String]) -> Void) {
        self.minimumLevel = minimumLevel
        self.sink = sink
    }

    /// A log that drops every message.
    public static let silent = Log(minimumLevel: .error) { _, _, _ in }

    public func write(_ level: Level, _ message: String, _ metadata: [String: String] = [:]) {
        guard level >= minimumLevel else { return }
        sink(level, message, metadata)
    }

    public func debug(_ message: String, _ metadata: [String: String] = [:]) { write(.debug, message, metadata) }
    public func info(_ message: String, _ metadata: [String: String] = [:]) { write(.info, message, metadata) }
    public func warning(_ message: String, _ metadata: [String: String] = [:]) { write(.warning, message, metadata) }
    public func error(_ message: String, _ metadata: [String: String] = [:]) { write(.error, message, metadata) }
}
