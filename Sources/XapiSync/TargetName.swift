/// An API version (`PROJECT/API@VERSION`) or a model (`PROJECT/MODEL`) whose descriptions are synced.
public struct TargetName: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case api
        case model
    }

    public let kind: Kind
    public let project: String
    public let name: String
    /// The API version; nil for a model.
    public let version: String?

    /// Parses `PROJECT/API@VERSION` for an API or `PROJECT/MODEL` for a model.
    public init(kind: Kind, parsing text: String) throws(ConnectorError) {
        let expected = kind == .api ? "PROJECT/API@VERSION" : "PROJECT/MODEL"
        let slash = text.split(separator: "/", omittingEmptySubsequences: false)
        guard slash.count == 2 else {
            throw ConnectorError(.invalidInput, "'\(text)' is not a valid \(kind.rawValue) name; expected \(expected)")
        }

        var namePart = String(slash[1])
        var version: String?
        if kind == .api {
            let at = namePart.split(separator: "@", omittingEmptySubsequences: false)
            guard at.count == 2, !at[1].isEmpty else {
                throw ConnectorError(.invalidInput, "'\(text)' names no version; expected \(expected)")
            }
            namePart = String(at[0])
            version = String(at[1])
        }

        for part in [String(slash[0]), namePart] + (version.map { [$0] } ?? []) {
            guard TargetName.isValidComponent(part) else {
                throw ConnectorError(
                    .invalidInput,
                    "'\(text)' is not a valid \(kind.rawValue) name: each part of \(expected) must be 1 to 100 "
                        + "letters, digits, '.', '_' or '-'"
                )
            }
        }

        self.kind = kind
        self.project = String(slash[0])
        self.name = namePart
        self.version = version
    }

    public var description: String {
        if let version { return "\(project)/\(name)@\(version)" }
        return "\(project)/\(name)"
    }

    static func isValidComponent(_ part: String) -> Bool {
        guard (1...100).contains(part.count) else { return false }
        return part.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ".-_".unicodeScalars.contains(scalar))
        }
    }
}
