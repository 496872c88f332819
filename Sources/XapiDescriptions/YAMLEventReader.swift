import CYAML

/// A YAML check that streams libyaml's parser events, so it builds no document tree and never expands aliases.
///
/// libyaml 0.2.5 implements YAML 1.1. The reader parses the whole stream, so a syntax error in a later document
/// fails the check, but only the root of the first document counts for the summary.
enum YAMLEventReader {
    /// Parses `bytes` as a YAML stream and returns what the first document has at its top level.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) throws(DescriptionProblem) -> TopLevelKeys {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw noDocument
        }

        // libyaml stores a pointer to the parser itself as its read handler's data, so the parser needs a stable
        // address for its whole life. A Swift variable passed with `&` only has one for the duration of a call.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw DescriptionProblem("libyaml could not allocate its parser; the process is out of memory", at: nil)
        }
        defer { yaml_parser_delete(parser) }

        // libyaml keeps a pointer to `bytes` and copies it into its own buffer in small chunks as it parses, so
        // the input is never copied whole. The caller keeps `bytes` alive until this function returns.
        yaml_parser_set_input_string(parser, base, bytes.count)

        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer { event.deallocate() }
        var walker = EventWalker()
        var isStreamEnd = false
        while !isStreamEnd {
            guard yaml_parser_parse(parser, event) == 1 else {
                throw problem(reportedBy: parser.pointee, in: bytes)
            }
            defer { yaml_event_delete(event) }
            isStreamEnd = try walker.handle(event.pointee)
        }

        guard walker.documentCount > 0 else {
            throw noDocument
        }
        return walker.keys
    }

    private static let noDocument = DescriptionProblem(
        "invalid YAML: the file contains no document, only comments, white space or directives",
        at: nil
    )

    /// Converts the error that libyaml recorded in `parser` into a problem with a location.
    private static func problem(reportedBy parser: yaml_parser_t, in bytes: UnsafeBufferPointer<UInt8>)
        -> DescriptionProblem
    {
        let reason = parser.problem.map { String(cString: $0) } ?? "libyaml reported no reason"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return DescriptionProblem("libyaml ran out of memory while parsing the file", at: nil)

        case YAML_READER_ERROR:
            // The reader checks the encoding and reports a byte offset and the offending value, not a mark.
            var text = "invalid YAML: \(reason)"
            if parser.problem_value != -1 {
                text += " (value 0x\(JSONSyntax.hex(UInt32(truncatingIfNeeded: parser.problem_value), digits: 2)))"
            }
            return DescriptionProblem(text + readerAdvice(for: reason), at: .offset(Int(parser.problem_offset)))

        default:
            let position = TextPosition(mark: parser.problem_mark)
            var text = "invalid YAML: \(reason)"
            if let context = parser.context.map({ String(cString: $0) }) {
                let contextPosition = TextPosition(mark: parser.context_mark)
                if contextPosition == position {
                    text += " (\(context))"
                } else {
                    text += " (\(context) at line \(contextPosition.line), column \(contextPosition.column))"
                }
            }
            if let offset = position.offset(in: bytes), bytes[offset] == UInt8(ascii: "\t") {
                text += "; YAML does not allow tabs for indentation, so indent with spaces"
            }
            return DescriptionProblem(text, at: .position(position))
        }
    }
}

/// Returns advice for a libyaml reader error: re-encoding for an encoding problem, escaping for a control
/// character.
private func readerAdvice(for reason: String) -> String {
    if reason.contains("control characters") {
        return "; remove the character or write it as an escape inside a double-quoted string"
    }
    if reason.contains("UTF-") || reason.contains("surrogate") || reason.contains("Unicode") {
        return "; save the file as UTF-8"
    }
    return ""
}

/// The state of the walk through libyaml's events: nesting depth, document count and the root's keys.
private struct EventWalker {
    private(set) var documentCount = 0
    private(set) var keys = TopLevelKeys()
    private var depth = 0
    /// Whether the next node at depth 1 of a root mapping is a key, since keys and values alternate.
    private var isExpectingKey = true

    /// Handles one event and returns true at the end of the stream.
    mutating func handle(_ event: yaml_event_t) throws(DescriptionProblem) -> Bool {
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
        case YAML_MAPPING_START_EVENT:
            try noteNode(.mapping, event)
            try enterCollection(at: event.start_mark)
        case YAML_SEQUENCE_START_EVENT:
            try noteNode(.sequence, event)
            try enterCollection(at: event.start_mark)
        case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
            depth -= 1
        case YAML_SCALAR_EVENT:
            try noteNode(.scalar, event)
        case YAML_ALIAS_EVENT:
            try noteNode(.alias, event)
        default:
            break
        }
        return false
    }

    private mutating func enterCollection(at mark: yaml_mark_t) throws(DescriptionProblem) {
        guard depth < DescriptionChecker.maximumDepth else {
            throw DescriptionProblem(
                "invalid YAML: nesting is deeper than \(DescriptionChecker.maximumDepth) levels; "
                    + "descriptions that deep are not supported",
                at: .position(TextPosition(mark: mark))
            )
        }
        depth += 1
    }

    /// Records the first document's root node, and the keys and values of a root mapping.
    private mutating func noteNode(_ node: TopLevelKeys.RootNode, _ event: yaml_event_t) throws(DescriptionProblem) {
        guard documentCount == 1 else {
            return
        }
        let location = SourceLocation.position(TextPosition(mark: event.start_mark))
        if depth == 0 {
            keys.noteRoot(node, at: location)
            return
        }
        guard depth == 1, keys.root == .mapping else {
            return
        }

        if isExpectingKey {
            // A key that is a collection or an alias cannot name a kind, so only scalar keys are recorded.
            if node == .scalar {
                try keys.noteKey(Self.scalarText(event), at: location)
            }
        } else {
            keys.noteValue(node == .scalar && keys.isAwaitingVersion ? Self.scalarText(event) : nil)
        }
        isExpectingKey.toggle()
    }

    /// Decodes a scalar event's value, which libyaml has already converted to UTF-8 and validated.
    private static func scalarText(_ event: yaml_event_t) -> String {
        let scalar = event.data.scalar
        return String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
    }
}

extension TextPosition {
    /// Converts a libyaml mark, whose line and column are 0-based, into a 1-based position.
    init(mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}
