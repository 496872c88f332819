import Testing
import XapiDescriptions

/// Checks `text` as the bytes of a file named `path`.
func check(_ text: String, path: String, allowFragments: Bool = false) throws(DescriptionError) -> DescriptionSummary {
    try DescriptionChecker.check(Array(text.utf8), path: path, allowFragments: allowFragments)
}

/// Expects the check of `bytes` to fail at `line` and `column` with a message that contains `phrase`, and
/// returns the error for further checks.
@discardableResult
func expectFailure(
    _ bytes: [UInt8],
    path: String,
    line: Int?,
    column: Int?,
    containing phrase: String,
    allowFragments: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) -> DescriptionError? {
    let error = #expect(throws: DescriptionError.self, sourceLocation: sourceLocation) {
        try DescriptionChecker.check(bytes, path: path, allowFragments: allowFragments)
    }
    guard let error else {
        return nil
    }

    #expect(error.path == path, sourceLocation: sourceLocation)
    #expect(error.line == line, "line of: \(error.message)", sourceLocation: sourceLocation)
    #expect(error.column == column, "column of: \(error.message)", sourceLocation: sourceLocation)
    #expect(error.message.contains(phrase), "message: \(error.message)", sourceLocation: sourceLocation)
    return error
}

/// Expects the check of `text` to fail; see the byte variant.
@discardableResult
func expectFailure(
    _ text: String,
    path: String,
    line: Int?,
    column: Int?,
    containing phrase: String,
    allowFragments: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) -> DescriptionError? {
    expectFailure(
        Array(text.utf8),
        path: path,
        line: line,
        column: column,
        containing: phrase,
        allowFragments: allowFragments,
        sourceLocation: sourceLocation
    )
}

/// A malformed input and where the check must report it.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let line: Int
    let column: Int
    let phrase: String

    init(_ name: String, _ text: String, line: Int, column: Int, _ phrase: String) {
        self.init(name, bytes: Array(text.utf8), line: line, column: column, phrase)
    }

    init(_ name: String, bytes: [UInt8], line: Int, column: Int, _ phrase: String) {
        self.name = name
        self.bytes = bytes
        self.line = line
        self.column = column
        self.phrase = phrase
    }

    var testDescription: String { name }
}
