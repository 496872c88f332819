import XapiDescriptions

/// Checks of a sync's files that run before any store or network work, so a bad input pushes nothing.
enum SyncInputCheck {
    /// Throws `.invalidInput` unless every file has a valid path, fits `maxFileSize`, and parses as JSON or
    /// YAML, and unless at least one file is a full API description.
    ///
    /// A full description has a top-level `openapi`, `swagger` or `asyncapi` key. The other files may be
    /// fragments that descriptions refer to with `$ref`, such as `common/schemas.yaml`, but they must parse.
    static func check(_ files: [SyncFile], maxFileSize: Int) throws {
        guard !files.isEmpty else {
            throw ConnectorError(.invalidInput, "no files to sync; pass at least one --file PATH")
        }
        guard maxFileSize > 0 else {
            throw ConnectorError(.invalidInput, "the maximum file size must be positive, not \(maxFileSize)")
        }

        for file in files {
            try RepositoryPath.validate(file.path, what: "file path")
        }
        for file in files where file.contents.count > maxFileSize {
            throw ConnectorError(
                .invalidInput,
                "'\(file.path)' has \(file.contents.count) bytes, more than the maximum file size of \(maxFileSize) "
                    + "bytes; split the description into files with $ref, or raise the limit with --max-file-size "
                    + "if the platform accepts larger files"
            )
        }

        var hasDescription = false
        for file in files {
            do {
                let summary = try DescriptionChecker.check(file.contents, path: file.path, allowFragments: true)
                hasDescription = hasDescription || summary.kind != .fragment
            } catch {
                throw ConnectorError(.invalidInput, "\(error.message); fix the file and sync again, nothing was pushed")
            }
        }
        guard hasDescription else {
            let names = files.map { "'\($0.path)'" }.joined(separator: ", ")
            throw ConnectorError(
                .invalidInput,
                "none of \(names) is an API description: at least one file needs a top-level 'openapi', "
                    + "'swagger' or 'asyncapi' key; the others may be fragments that it refers to"
            )
        }
    }
}
