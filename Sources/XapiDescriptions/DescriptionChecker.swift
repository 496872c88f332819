/// Checks API description files before any network work, so that a malformed file is reported with its line and
/// column and nothing is pushed.
public enum DescriptionChecker {
    /// The deepest nesting of mappings and sequences (objects and arrays in JSON) that a check accepts.
    ///
    /// Deeper input is rejected with an error at the first collection past the limit. The limit bounds the
    /// scanner's container stack and stops libyaml before hostile nesting costs time or memory.
    public static let maximumDepth = 512

    /// Parses `contents` as JSON or YAML and checks that the top level is a mapping with an `openapi`, `swagger`
    /// or `asyncapi` key.
    ///
    /// The format comes from the extension of `path` (`.json`, `.yaml` or `.yml`), else from the content: a
    /// first character `{` means JSON, anything else YAML. JSON goes through a strict scanner (RFC 8259) and YAML
    /// through libyaml's event parser. Both stream, so a 4 MB file is checked without building a tree. The check
    /// runs synchronously on the calling thread and only reads `contents`.
    ///
    /// - Parameters:
    ///   - contents: The file's bytes, in UTF-8 with or without a byte order mark. YAML may also be UTF-16 with a
    ///     byte order mark.
    ///   - path: The file's display name, used for the extension and in error messages.
    ///   - allowFragments: Whether to accept a file with no kind key, such as shared schemas that descriptions
    ///     refer to with `$ref`. The syntax is checked either way, and such a file gets the kind `.fragment`.
    /// - Returns: The format, the kind and the value of the kind key.
    /// - Throws: `DescriptionError` for an empty file, invalid syntax, nesting deeper than `maximumDepth`, or a
    ///   top level that is not a mapping with exactly one kind key (unless fragments are allowed).
    public static func check(
        _ contents: [UInt8],
        path: String,
        allowFragments: Bool = false
    ) throws(DescriptionError) -> DescriptionSummary {
        guard !contents.isEmpty else {
            throw DescriptionError(
                path: path,
                position: nil,
                problem: "the file is empty, but an API description needs a top-level 'openapi', 'swagger' or "
                    + "'asyncapi' key"
            )
        }

        let format = DescriptionFormat.detect(path: path, contents: contents)
        let outcome = contents.withUnsafeBufferPointer { bytes -> Result<DescriptionSummary, DescriptionError> in
            do throws(DescriptionProblem) {
                let keys =
                    switch format {
                    case .json: try JSONScanner.scan(bytes)
                    case .yaml: try YAMLEventReader.scan(bytes)
                    }
                return .success(try keys.summary(format: format, allowFragments: allowFragments))
            } catch {
                let position = error.location?.resolve(in: bytes)
                return .failure(DescriptionError(path: path, position: position, problem: error.text))
            }
        }
        return try outcome.get()
    }
}
