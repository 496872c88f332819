/// An API version (`PROJECT/API@VERSION`) or a model (`PROJECT/MODEL`) and the integration it syncs to.
public struct TargetRecord: Sendable, Equatable {
    public let id: Int64
    /// `api` or `model`, as listed in `TargetRecord.kinds`.
    public let kind: String
    public let name: String
    /// The selected integration, or nil when none is selected or the selected one was deleted.
    public let integrationID: Int64?

    /// The kinds of target the store accepts.
    public static let kinds = ["api", "model"]
}

extension TargetRecord {
    static let columns = "id, kind, name, integration_id"

    init(row: SQLiteRow) {
        self.init(id: row.integer(0), kind: row.text(1), name: row.text(2), integrationID: row.optionalInteger(3))
    }
}
