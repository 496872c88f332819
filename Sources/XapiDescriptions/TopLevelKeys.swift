/// The facts a check needs from the first document's root node, gathered by either parser as it streams.
///
/// The parsers report the root node, then for a root mapping each scalar key and each value at depth 1.
/// `summary` then decides whether the file is an API description.
struct TopLevelKeys {
    /// The shape of the root node.
    enum RootNode {
        case mapping
        case sequence
        case scalar
        case alias

        var phrase: String {
            switch self {
            case .mapping: "a mapping"
            case .sequence: "a sequence"
            case .scalar: "a scalar"
            case .alias: "an alias"
            }
        }
    }

    private(set) var root: RootNode?
    private var rootLocation: SourceLocation?
    private var kind: DescriptionKind?
    private var kindKey: String?
    private var version: String?
    /// True between a kind key and its value, which tells the parser to decode that value.
    private(set) var isAwaitingVersion = false

    mutating func noteRoot(_ node: RootNode, at location: SourceLocation) {
        root = node
        rootLocation = location
    }

    /// Records a scalar key of the root mapping and rejects a second key that declares a kind.
    mutating func noteKey(_ key: String, at location: SourceLocation) throws(DescriptionProblem) {
        guard let declared = DescriptionKind(topLevelKey: key) else {
            return
        }
        if let kindKey {
            let conflict = kindKey == key ? "appears twice" : "appears after '\(kindKey)'"
            throw DescriptionProblem(
                "not an API description: the top-level key '\(key)' \(conflict), so the kind is ambiguous; "
                    + "keep one of them",
                at: location
            )
        }

        kind = declared
        kindKey = key
        isAwaitingVersion = true
    }

    /// Records a value of the root mapping, given as text when it is a scalar and as nil otherwise.
    mutating func noteValue(_ scalar: String?) {
        guard isAwaitingVersion else {
            return
        }
        version = scalar
        isAwaitingVersion = false
    }

    /// Returns the summary of a file whose syntax is valid, or throws when it is not an API description.
    func summary(format: DescriptionFormat, allowFragments: Bool) throws(DescriptionProblem) -> DescriptionSummary {
        if let kind {
            return DescriptionSummary(format: format, kind: kind, version: version)
        }
        if allowFragments {
            return DescriptionSummary(format: format, kind: .fragment, version: nil)
        }

        guard let root, root == .mapping else {
            let shape = root?.phrase ?? "missing"
            throw DescriptionProblem(
                "not an API description: the top level is \(shape), but it must be a mapping with an 'openapi', "
                    + "'swagger' or 'asyncapi' key",
                at: rootLocation
            )
        }
        throw DescriptionProblem(
            "not an API description: the top-level keys have no 'openapi', 'swagger' or 'asyncapi'; add the key, "
                + "or allow fragments if this file is only referenced by other descriptions",
            at: rootLocation
        )
    }
}
