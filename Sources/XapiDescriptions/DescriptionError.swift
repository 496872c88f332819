/// An API description that failed the check, with the position of the problem when it has one.
public struct DescriptionError: Error, Sendable, CustomStringConvertible {
    /// The file's display name, as given by the caller.
    public let path: String
    /// The 1-based line of the problem, or nil when the problem concerns the whole file.
    public let line: Int?
    /// The 1-based column of the problem, counted in Unicode scalars, so a tab or an accented letter is one.
    public let column: Int?
    /// The whole report: path, line and column when known, then what is wrong, such as
    /// `orders.yaml:12:5: invalid YAML: mapping values are not allowed in this context`.
    public let message: String

    init(path: String, position: TextPosition?, problem: String) {
        self.path = path
        self.line = position?.line
        self.column = position?.column
        if let position {
            self.message = "\(path):\(position.line):\(position.column): \(problem)"
        } else {
            self.message = "\(path): \(problem)"
        }
    }

    public var description: String { message }
}

/// A problem found by one of the parsers, before the checker adds the file's path and resolves the location.
struct DescriptionProblem: Error {
    let location: SourceLocation?
    /// The description of the problem, starting with its category, such as `invalid JSON: …`.
    let text: String

    init(_ text: String, at location: SourceLocation?) {
        self.text = text
        self.location = location
    }
}

/// The location of a problem, in the form its parser reports it.
enum SourceLocation {
    /// A byte offset into the file, as the JSON scanner and libyaml's reader report it.
    case offset(Int)
    /// A line and column, as libyaml's scanner and parser report them.
    case position(TextPosition)

    func resolve(in bytes: UnsafeBufferPointer<UInt8>) -> TextPosition {
        switch self {
        case .offset(let offset):
            return TextPosition.locate(offset: offset, in: bytes)
        case .position(let position):
            return position
        }
    }
}
