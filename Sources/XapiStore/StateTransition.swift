public import Foundation

/// A change of an integration's state, kept as history.
public struct StateTransition: Sendable, Equatable {
    public let id: Int64
    public let integrationID: Int64
    public let from: IntegrationState
    public let to: IntegrationState
    public let detail: String
    /// The credential version the new state was computed for.
    public let credentialVersion: Int64
    public let at: Date
}

extension StateTransition {
    static let columns = "id, integration_id, from_state, to_state, detail, credential_version, at"

    init(row: SQLiteRow) throws {
        let id = row.integer(0)
        func state(_ column: Int32) throws -> IntegrationState {
            let text = row.text(column)
            guard let state = IntegrationState(rawValue: text) else {
                throw StoreError(
                    .corruptData,
                    "state transition \(id) names the unknown state '\(text)'; upgrade xapi-git to read this store"
                )
            }
            return state
        }

        self.init(
            id: id,
            integrationID: row.integer(1),
            from: try state(2),
            to: try state(3),
            detail: row.text(4),
            credentialVersion: row.integer(5),
            at: Date(timeIntervalSince1970: row.real(6))
        )
    }
}
