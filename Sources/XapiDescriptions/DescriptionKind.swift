/// The specification an API description follows, named after the top-level key that declares it.
public enum DescriptionKind: String, Sendable {
    /// OpenAPI 3, declared by a top-level `openapi` key.
    case openapi
    /// Swagger 2.0 (OpenAPI 2), declared by a top-level `swagger` key.
    case swagger
    /// AsyncAPI, declared by a top-level `asyncapi` key.
    case asyncapi
    /// A shared file without any of those keys, such as schemas that descriptions refer to with `$ref`.
    ///
    /// `DescriptionChecker.check` returns it only when the caller passes `allowFragments: true`. It is never
    /// read from a top-level key.
    case fragment

    /// Returns the kind that a top-level key declares, or nil for any other key.
    init?(topLevelKey key: String) {
        switch key {
        case "openapi":
            self = .openapi
        case "swagger":
            self = .swagger
        case "asyncapi":
            self = .asyncapi
        default:
            return nil
        }
    }
}
