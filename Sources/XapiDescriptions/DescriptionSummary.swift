/// The format, kind and version that a successful check found in an API description.
public struct DescriptionSummary: Sendable, Equatable {
    public let format: DescriptionFormat
    public let kind: DescriptionKind
    /// The text of the scalar under the top-level `openapi`, `swagger` or `asyncapi` key, such as `3.0.0`.
    ///
    /// It is nil when that value is a mapping, a sequence or a YAML alias, and for a fragment. A JSON number or
    /// literal is given as written, so `"openapi": 3` gives `3`.
    public let version: String?

    public init(format: DescriptionFormat, kind: DescriptionKind, version: String?) {
        self.format = format
        self.kind = kind
        self.version = version
    }
}
