public import Foundation

/// The author and committer of a commit that a mirror creates.
public struct GitSignature: Sendable {
    public var name: String
    public var email: String
    /// The commit time; it is recorded in UTC (offset +0000).
    public var date: Date

    public init(name: String, email: String, date: Date) {
        self.name = name
        self.email = email
        self.date = date
    }
}
