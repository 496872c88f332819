/// A member's role in the organization, which decides what the member may do.
public enum Role: String, Sendable, Codable, CaseIterable {
    case owner
    case admin
    case reviewer
    case editor
    case viewer
}

/// An action that needs a role.
public enum Action: String, Sendable, CaseIterable {
    /// Add, edit, reconnect or remove an integration.
    case manageIntegrations = "manage integrations"
    /// Add, remove or change the role of members.
    case manageMembers = "manage members"
    /// Add an API version or model.
    case manageTargets = "add APIs and models"
    /// Choose the integration an API version or model synchronizes to.
    case switchIntegration = "switch the synchronizing integration"
    /// Push API descriptions through an integration.
    case sync = "sync"
    /// Read integrations, APIs, models and the audit log.
    case read = "read"

    /// The roles that may perform this action.
    public var allowedRoles: [Role] {
        switch self {
        case .manageIntegrations, .manageMembers, .manageTargets: [.owner, .admin]
        case .switchIntegration: [.owner, .admin, .reviewer]
        case .sync: [.owner, .admin, .reviewer, .editor]
        case .read: Role.allCases
        }
    }
}

extension Role {
    /// Whether a member with this role may perform `action`.
    public func permits(_ action: Action) -> Bool {
        action.allowedRoles.contains(self)
    }
}
