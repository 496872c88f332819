import Testing
import XapiDescriptions

@Suite struct YAMLCheckTests {
    @Test func openAPIDocumentPasses() throws {
        let text = """
            # Orders service
            openapi: 3.0.3
            info:
              title: Orders
              version: 1.0.0
            paths:
              /orders:
                get:
                  responses:
                    '200':
                      description: Ok
            """

        let summary = try check(text, path: "orders.yaml")

        #expect(summary == DescriptionSummary(format: .yaml, kind: .openapi, version: "3.0.3"))
    }

    @Test func asyncAPIDocumentPasses() throws {
        let text = """
            asyncapi: '2.6.0'
            info: {title: Chat, version: '1'}
            channels:
              messages:
                subscribe:
                  message:
                    payload: {type: string}
            """

        let summary = try check(text, path: "chat.yml")

        #expect(summary == DescriptionSummary(format: .yaml, kind: .asyncapi, version: "2.6.0"))
    }

    @Test func flowMappingAndQuotedKeyPass() throws {
        let summary = try check(#"{"swagger": "2.0", info: {title: x}}"#, path: "api.yaml")

        #expect(summary == DescriptionSummary(format: .yaml, kind: .swagger, version: "2.0"))
    }

    @Test func explicitDocumentMarkersPass() throws {
        let summary = try check("%YAML 1.1\n---\nopenapi: 3.1.0\n...\n", path: "api.yaml")

        #expect(summary.version == "3.1.0")
    }

    @Test func valueNamedLikeAKindIsNoKey() {
        expectFailure(
            "info: openapi\nx: [openapi]\n", path: "api.yaml", line: 1, column: 1,
            containing: "the top-level keys have no 'openapi'")
    }

    @Test func complexKeyIsSkipped() throws {
        let summary = try check("? [a, b]\n: openapi\nswagger: '2.0'\n", path: "api.yaml")

        #expect(summary.kind == .swagger)
        #expect(summary.version == "2.0")
    }

    @Test func anchoredVersionIsRead() throws {
        let summary = try check("openapi: &version 3.0.0\ninfo: {version: *version}\n", path: "api.yaml")

        #expect(summary.version == "3.0.0")
    }

    @Test func aliasVersionIsNil() throws {
        let summary = try check("x-base: &v 3.0.0\nopenapi: *v\n", path: "api.yaml")

        #expect(summary.kind == .openapi)
        #expect(summary.version == nil)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let summary = try DescriptionChecker.check(
            [0xEF, 0xBB, 0xBF] + Array("openapi: 3.0.0\n".utf8), path: "api.yaml")

        #expect(summary.kind == .openapi)
    }

    @Test func byteOrderMarkTakesNoColumn() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("openapi: a: b\n".utf8)

        expectFailure(bytes, path: "api.yaml", line: 1, column: 11, containing: "mapping values are not allowed")
    }

    @Test func utf16WithByteOrderMarkPasses() throws {
        let units = Array("asyncapi: 2.5.0\ninfo: {title: Ünïcödé}\n".utf16)
        let bytes: [UInt8] = [0xFF, 0xFE] + units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }

        let summary = try DescriptionChecker.check(bytes, path: "api.yaml")

        #expect(summary == DescriptionSummary(format: .yaml, kind: .asyncapi, version: "2.5.0"))
    }

    @Test func crlfCountsAsOneLineEnd() {
        let text = "openapi: 3.0.0\r\ninfo:\r\n  title: x\r\n   version: 1\r\n"

        expectFailure(text, path: "api.yaml", line: 4, column: 11, containing: "mapping values are not allowed")
    }

    @Test func columnsCountCharacters() {
        expectFailure(
            "openapi: 3.0.0\n\u{E9}\u{E9}: a: b\n", path: "api.yaml", line: 2, column: 6,
            containing: "mapping values are not allowed")
    }

    @Test func messageStartsWithPathAndPosition() {
        let error = expectFailure(
            "openapi: 3.0.0\ninfo:\n  title: x\n  a: b: c\n",
            path: "orders.yaml",
            line: 4,
            column: 7,
            containing: "invalid YAML"
        )

        #expect(error?.message == "orders.yaml:4:7: invalid YAML: mapping values are not allowed in this context")
    }

    @Test func contextPositionIsNamed() {
        let error = expectFailure(
            "openapi: 3.0.0\ninfo:\n  title: \"x\n  version: 1\n", path: "api.yaml", line: 5,
            column: 1, containing: "found unexpected end of stream")

        #expect(error?.message.contains("(while scanning a quoted scalar at line 3, column 10)") == true)
    }

    static let malformedCases: [MalformedCase] = [
        MalformedCase(
            "bad indentation", "openapi: 3.0.0\ninfo:\n  title: Orders\n version: 1.0.0\n", line: 4, column: 2,
            "did not find expected key (while parsing a block mapping at line 1, column 1)"),
        MalformedCase(
            "over-indented key", "openapi: 3.0.0\ninfo:\n  title: Orders\n    version: 1.0.0\n", line: 4,
            column: 12, "mapping values are not allowed in this context"),
        MalformedCase(
            "unclosed double quote", "openapi: \"3.0.0\ninfo: x\n", line: 3, column: 1,
            "found unexpected end of stream (while scanning a quoted scalar at line 1, column 10)"),
        MalformedCase(
            "unclosed single quote", "openapi: 3.0.0\ninfo:\n  title: 'Orders\n", line: 4, column: 1,
            "while scanning a quoted scalar at line 3, column 10"),
        MalformedCase(
            "tab indentation", "openapi: 3.0.0\ninfo:\n\ttitle: x\n", line: 3, column: 1,
            "found character that cannot start any token (while scanning for the next token); YAML does not "
                + "allow tabs for indentation"),
        MalformedCase(
            "unclosed flow sequence", "openapi: [3.0.0\n", line: 2, column: 1,
            "did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 10)"),
        MalformedCase(
            "error in a later document", "openapi: 3.0.0\n---\na: b: c\n", line: 3, column: 5,
            "mapping values are not allowed"),
        MalformedCase(
            "invalid UTF-8", bytes: Array("openapi: 3.0.0\ninfo: ".utf8) + [0xFF, 0x0A], line: 2, column: 7,
            "invalid leading UTF-8 octet (value 0xFF); save the file as UTF-8"),
        MalformedCase(
            "control character", bytes: Array("openapi: 3.0.0\ninfo: a".utf8) + [0x01, 0x0A], line: 2, column: 8,
            "control characters are not allowed (value 0x01); remove the character"),
        MalformedCase(
            "undefined tag handle", "openapi: !x!str 3.0.0\n", line: 1, column: 10,
            "found undefined tag handle"),
    ]

    @Test(arguments: malformedCases)
    func malformedInputFails(_ malformed: MalformedCase) {
        expectFailure(
            malformed.bytes, path: "api.yaml", line: malformed.line, column: malformed.column,
            containing: malformed.phrase)
    }

    @Test func onlyCommentsHaveNoDocument() {
        expectFailure(
            "# nothing here\n\n", path: "api.yaml", line: nil, column: nil, containing: "the file contains no document")
    }

    @Test func flowNestingPastTheLimitFails() {
        let depth = DescriptionChecker.maximumDepth
        let text =
            "openapi: 3.0.0\nx: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"

        expectFailure(text, path: "api.yaml", line: 2, column: 3 + depth, containing: "deeper than 512 levels")
    }

    @Test func flowNestingAtTheLimitPasses() throws {
        let depth = DescriptionChecker.maximumDepth - 1
        let text =
            "openapi: 3.0.0\nx: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"

        let summary = try check(text, path: "api.yaml")

        #expect(summary.kind == .openapi)
    }

    @Test func blockNestingPastTheLimitFails() {
        let levels = DescriptionChecker.maximumDepth + 10
        var text = "openapi: 3.0.0\n"
        for level in 0..<levels {
            text += String(repeating: "  ", count: level) + "a:\n"
        }
        text += String(repeating: "  ", count: levels) + "end\n"

        // The root mapping is depth 1, and the mapping at depth d starts on line d + 1, indented by d - 1 levels.
        expectFailure(text, path: "api.yaml", line: 514, column: 2 * 512 + 1, containing: "deeper than 512 levels")
    }

    @Test func veryDeepNestingFailsQuickly() {
        let text = "openapi: 3.0.0\nx: " + String(repeating: "[", count: 1_000_000)
        let clock = ContinuousClock()

        let elapsed = clock.measure {
            expectFailure(text, path: "api.yaml", line: 2, column: 515, containing: "deeper than 512 levels")
        }

        #expect(elapsed < .seconds(2))
    }

    /// A "billion laughs" document: expanding its aliases would give 10^9 scalars, so only a check that leaves
    /// aliases unexpanded finishes at once.
    @Test func aliasesAreNotExpanded() throws {
        var text = "openapi: 3.0.0\nx-lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...8 {
            let references = Array(repeating: "*lol\(level - 1)", count: 10).joined(separator: ", ")
            text += "x-lol\(level): &lol\(level) [\(references)]\n"
        }
        let clock = ContinuousClock()
        let start = clock.now

        let summary = try check(text, path: "api.yaml")

        let elapsed = clock.now - start
        #expect(summary.kind == .openapi)
        #expect(elapsed < .seconds(1))
    }
}
