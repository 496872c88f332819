public import Foundation

/// One entry of the audit log: who did what to which subject, with the values before and after.
///
/// Values are plain strings given by the caller, never a token.
public struct AuditEntry: Sendable, Equatable {
    public let id: Int64
    public let at: Date
    public let actor: String
    /// A dotted action name chosen by the caller, such as `integration.add`.
    public let action: String
    public let subject: String
    public let before: [String: String]?
    public let after: [String: String]?
}

extension AuditEntry {
    static let columns = "id, at, actor, action, subject, before, after"

    init(row: SQLiteRow) throws {
        let id = row.integer(0)
        func values(_ column: Int32, _ name: String) throws -> [String: String]? {
            guard let text = row.optionalText(column) else { return nil }
            return try JSONColumn.decode(
                [String: String].self, from: text, what: "the \(name) values of audit entry \(id)")
        }

        self.init(
            id: id,
            at: Date(timeIntervalSince1970: row.real(1)),
            actor: row.text(2),
            action: row.text(3),
            subject: row.text(4),
            before: try values(5, "before"),
            after: try values(6, "after")
        )
    }
}
