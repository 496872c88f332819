public import XapiStore

/// One value of an audit entry as it was before and after the change; nil where the value did not exist.
public struct AuditChange: Sendable, Equatable {
    public let field: String
    public let before: String?
    public let after: String?

    /// The change as text: `branch: main -> release`, `role: viewer` for a new value, and
    /// `role: viewer -> (none)` for a removed one.
    public var text: String {
        switch (before, after) {
        case let (old?, new?): "\(field): \(old) -> \(new)"
        case let (nil, new?): "\(field): \(new)"
        case let (old?, nil): "\(field): \(old) -> (none)"
        case (nil, nil): "\(field): (none)"
        }
    }
}

extension AuditEntry {
    /// The values that differ between `before` and `after`, by field name.
    ///
    /// Values that are the same on both sides are left out, so an edit of one detail lists one change.
    public var changes: [AuditChange] {
        let old = before ?? [:]
        let new = after ?? [:]
        return Set(old.keys).union(new.keys).sorted().compactMap { field in
            guard old[field] != new[field] else { return nil }
            return AuditChange(field: field, before: old[field], after: new[field])
        }
    }
}
