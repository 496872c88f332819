import Testing
import XapiDescriptions

@Suite struct JSONCheckTests {
    @Test func openAPIDocumentPasses() throws {
        let text = """
            {
              "openapi": "3.1.0",
              "info": {"title": "Orders", "version": "1.0.0", "x-tags": [1, -2.5e3, 0.25, true, false, null]},
              "paths": {"/orders": {"get": {"responses": {"200": {
                "description": "Ok \\"quoted\\" \\\\ \\/ \\b\\f\\n\\r\\t"
              }}}}}
            }
            """

        let summary = try check(text, path: "orders.json")

        #expect(summary == DescriptionSummary(format: .json, kind: .openapi, version: "3.1.0"))
    }

    @Test func swaggerDocumentPasses() throws {
        let text = """
            {"swagger": "2.0", "info": {"title": "Pets", "version": "1"}, "host": "petstore.example", \
            "basePath": "/v1", "paths": {"/pets": {"get": {"responses": {"200": {"description": "pets"}}}}}}
            """

        let summary = try check(text, path: "pets.json")

        #expect(summary == DescriptionSummary(format: .json, kind: .swagger, version: "2.0"))
    }

    @Test func escapedKeyIsDecoded() throws {
        let summary = try check(#"{"\u006Fpen\u0061pi": "3.0.3"}"#, path: "api.json")

        #expect(summary.kind == .openapi)
        #expect(summary.version == "3.0.3")
    }

    @Test func surrogatePairIsDecoded() throws {
        let summary = try check(#"{"openapi": "3.\uD83D\uDE00", "x": "caf\u00e9 \ud834\udd1e"}"#, path: "api.json")

        #expect(summary.version == "3.\u{1F600}")
    }

    @Test func nonASCIITextPasses() throws {
        let summary = try check(
            #"{"info": {"title": "Bestellungen für Café ☕ 🚀"}, "asyncapi": "3.0.0"}"#, path: "api.json")

        #expect(summary == DescriptionSummary(format: .json, kind: .asyncapi, version: "3.0.0"))
    }

    @Test func numberVersionKeepsItsText() throws {
        let summary = try check(#"{"openapi": 3.0e0}"#, path: "api.json")

        #expect(summary.version == "3.0e0")
    }

    @Test func containerVersionIsNil() throws {
        let summary = try check(#"{"asyncapi": {"major": 2}, "info": "x"}"#, path: "api.json")

        #expect(summary.kind == .asyncapi)
        #expect(summary.version == nil)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let summary = try DescriptionChecker.check(
            [0xEF, 0xBB, 0xBF] + Array(#"{"openapi": "3.0.0"}"#.utf8), path: "api.json")

        #expect(summary.kind == .openapi)
    }

    @Test func byteOrderMarkTakesNoColumn() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"openapi": "3.0.0"} x"#.utf8)

        expectFailure(bytes, path: "api.json", line: 1, column: 22, containing: "after the end of the top-level value")
    }

    @Test func utf16IsRejected() {
        let bytes: [UInt8] =
            [0xFF, 0xFE] + Array(#"{"openapi": "3.0.0"}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }

        expectFailure(bytes, path: "api.json", line: nil, column: nil, containing: "JSON files must be UTF-8")
    }

    @Test func crlfCountsAsOneLineEnd() {
        let text = "{\r\n  \"openapi\": \"3.0.0\"\r\n  \"info\": {}\r\n}\r\n"

        expectFailure(text, path: "api.json", line: 3, column: 3, containing: "expected ',' or '}'")
    }

    @Test func loneCarriageReturnEndsALine() {
        let text = "{\r\"openapi\": \"3.0.0\",\r\"info\": {}}}"

        expectFailure(text, path: "api.json", line: 3, column: 12, containing: "after the end of the top-level value")
    }

    @Test func columnsCountCharacters() {
        expectFailure(
            #"{"openapi": "3.0.0", "é": 1 2}"#, path: "api.json", line: 1, column: 29, containing: "found '2'")
    }

    @Test func whitespaceOnlyFileHasNoValue() {
        expectFailure(" \n\t\n", path: "api.json", line: 3, column: 1, containing: "the file contains no value")
    }

    @Test func messageStartsWithPathAndPosition() {
        let error = expectFailure(
            "{\n  \"openapi\": \"3.0.0\"\n  \"info\": {}\n}",
            path: "specs/orders.json",
            line: 3,
            column: 3,
            containing: "invalid JSON"
        )

        #expect(
            error?.message
                == "specs/orders.json:3:3: invalid JSON: expected ',' or '}' after an object member, but found '\"'")
        #expect(error?.description == error?.message)
    }

    static let malformedCases: [MalformedCase] = [
        MalformedCase(
            "missing comma", "{\n  \"openapi\": \"3.0.0\"\n  \"info\": {}\n}", line: 3, column: 3,
            "expected ',' or '}' after an object member, but found '\"'"),
        MalformedCase(
            "missing comma in array", #"{"openapi": "3.0.0", "tags": [1 2]}"#, line: 1, column: 33,
            "expected ',' or ']' after an array element"),
        MalformedCase(
            "trailing comma in object", "{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {},\n}", line: 3,
            column: 14, "trailing comma"),
        MalformedCase(
            "trailing comma in array", #"{"openapi": "3.0.0", "tags": [1, 2,]}"#, line: 1, column: 35,
            "trailing comma"),
        MalformedCase(
            "unterminated string at line end", "{\n  \"openapi\": \"3.0.0,\n  \"info\": {}\n}", line: 2,
            column: 14, "no closing quote before the end of its line"),
        MalformedCase(
            "unterminated string at file end", #"{"openapi": "3.0"#, line: 1, column: 13,
            "no closing quote before the end of the file"),
        MalformedCase(
            "bad escape", #"{"openapi": "3.0.0", "x": "a\qb"}"#, line: 1, column: 29,
            #"invalid escape sequence \q"#),
        MalformedCase(
            "short unicode escape", #"{"openapi": "3.0.0", "x": "\u12G4"}"#, line: 1, column: 28,
            "four hexadecimal digits"),
        MalformedCase(
            "lone high surrogate", #"{"openapi": "3.0.0", "x": "\uD83D"}"#, line: 1, column: 28,
            #"\uD83D is a high surrogate"#),
        MalformedCase(
            "high surrogate before a non-surrogate", #"{"openapi": "3.0.0", "x": "\uD83D\u0041"}"#, line: 1,
            column: 28, #"\uD83D is a high surrogate"#),
        MalformedCase(
            "lone low surrogate", #"{"openapi": "3.0.0", "x": "\uDE00"}"#, line: 1, column: 28,
            #"\uDE00 is a low surrogate"#),
        MalformedCase(
            "raw tab in string", "{\"openapi\": \"3.0\t0\"}", line: 1, column: 17,
            "control character U+0009"),
        MalformedCase(
            "invalid UTF-8 in string", bytes: Array(#"{"openapi": "3.0.0", "x": ""#.utf8) + [0xC3, 0x28, 0x22, 0x7D],
            line: 1, column: 28, "byte 0xC3 starts no valid UTF-8 sequence"),
        MalformedCase(
            "encoded surrogate in string", bytes: Array(#"{"openapi": ""#.utf8) + [0xED, 0xA0, 0x80, 0x22, 0x7D],
            line: 1, column: 14, "starts no valid UTF-8 sequence"),
        MalformedCase(
            "trailing garbage", "{\"openapi\": \"3.0.0\"}\n}", line: 2, column: 1,
            "unexpected '}' after the end of the top-level value"),
        MalformedCase(
            "second value", #"{"openapi": "3.0.0"} {"#, line: 1, column: 22, "a file holds exactly one value"),
        MalformedCase("leading zero", #"{"openapi": 01}"#, line: 1, column: 14, "leading zero"),
        MalformedCase("minus without digits", #"{"openapi": -x}"#, line: 1, column: 14, "expected a digit after '-'"),
        MalformedCase("bare decimal point", #"{"openapi": 1.}"#, line: 1, column: 15, "after the decimal point"),
        MalformedCase("empty exponent", #"{"openapi": 1e+}"#, line: 1, column: 16, "in the exponent"),
        MalformedCase("plus sign", #"{"openapi": +1}"#, line: 1, column: 13, "expected a value, but found '+'"),
        MalformedCase(
            "capitalised literal", #"{"openapi": True}"#, line: 1, column: 13, "expected a value, but found 'T'"),
        MalformedCase("truncated literal", #"{"openapi": nul}"#, line: 1, column: 13, "unknown word"),
        MalformedCase("missing colon", #"{"openapi" "3.0.0"}"#, line: 1, column: 12, "expected ':' after the key"),
        MalformedCase(
            "single-quoted key", "{'openapi': '3.0.0'}", line: 1, column: 2, "expected a key in double quotes"),
        MalformedCase("unquoted key", "{openapi: 1}", line: 1, column: 2, "expected a key in double quotes"),
        MalformedCase("missing value", #"{"openapi": }"#, line: 1, column: 13, "expected a value, but found '}'"),
        MalformedCase("leading comma", #"{"openapi": "3", "tags": [,1]}"#, line: 1, column: 27, "expected a value"),
        MalformedCase(
            "unclosed object", "{\n  \"openapi\": \"3.0.0\",\n  \"info\": {\"title\": \"x\"}\n", line: 4,
            column: 1, "the file ends before the object that opens at line 1, column 1 is closed"),
        MalformedCase(
            "unclosed array", "{\"openapi\": \"3\", \"tags\": [\n1", line: 2, column: 2,
            "the array that opens at line 1, column 26"),
        MalformedCase(
            "file ends after key", #"{"openapi""#, line: 1, column: 11,
            "expected ':' after the key, but the file ends"),
        MalformedCase(
            "mismatched bracket", #"{"openapi": "3", "tags": [1}"#, line: 1, column: 28,
            "expected ',' or ']' after an array element, but found '}'"),
        MalformedCase(
            "comment", "{\n  // the version\n  \"openapi\": \"3.0.0\"\n}", line: 2, column: 3,
            "expected a key in double quotes, but found '/'"),
    ]

    @Test(arguments: malformedCases)
    func malformedInputFails(_ malformed: MalformedCase) {
        expectFailure(
            malformed.bytes, path: "api.json", line: malformed.line, column: malformed.column,
            containing: malformed.phrase)
    }

    @Test func nestingAtTheLimitPasses() throws {
        let depth = DescriptionChecker.maximumDepth - 1
        let text =
            #"{"openapi": "3.0.0", "x": "# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            + "}"

        let summary = try check(text, path: "api.json")

        #expect(summary.kind == .openapi)
    }

    @Test func nestingPastTheLimitFails() {
        let depth = DescriptionChecker.maximumDepth
        let prefix = #"{"openapi": "3.0.0", "x": "#
        let text = prefix + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"

        expectFailure(
            text, path: "api.json", line: 1, column: prefix.count + depth, containing: "deeper than 512 levels")
    }

    @Test func veryDeepNestingFailsQuickly() {
        let text = String(repeating: "[", count: 1_000_000)
        let clock = ContinuousClock()

        let elapsed = clock.measure {
            expectFailure(text, path: "api.json", line: 1, column: 513, containing: "deeper than 512 levels")
        }

        #expect(elapsed < .seconds(2))
    }
}
