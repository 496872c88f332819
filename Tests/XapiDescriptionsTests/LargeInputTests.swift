import Testing
import XapiDescriptions

/// Inputs whose size would expose work that grows faster than the file.
@Suite struct LargeInputTests {
    /// 200,000 top-level keys with the kind key last. A check that located every key by rescanning the file would
    /// take minutes here.
    @Test func manyTopLevelKeysStayLinear() throws {
        let count = 200_000
        var json = "{"
        var yaml = ""
        for index in 0..<count {
            json += "\"k\(index)\": \(index),\n"
            yaml += "k\(index): \(index)\n"
        }
        json += "\"openapi\": \"3.0.0\"}"
        yaml += "openapi: 3.0.0\n"
        let clock = ContinuousClock()
        let start = clock.now

        let jsonSummary = try check(json, path: "api.json")
        let yamlSummary = try check(yaml, path: "api.yaml")

        let elapsed = clock.now - start
        #expect(jsonSummary.kind == .openapi)
        #expect(yamlSummary.kind == .openapi)
        #expect(elapsed < .seconds(20))
    }

    @Test func longStringWithEscapesPasses() throws {
        let value = String(repeating: #"a\n\u00e9\uD83D\uDE00\"b"#, count: 200_000)
        let text = #"{"openapi": "3.0.0", "description": ""# + value + #""}"#

        let summary = try check(text, path: "api.json")

        #expect(summary.version == "3.0.0")
    }

    @Test func errorAtTheEndOfALargeFileIsLocated() {
        let body = String(repeating: "  - item\n", count: 100_000)
        let text = "openapi: 3.0.0\nlist:\n" + body + "  - 'open\n"

        expectFailure(
            text, path: "api.yaml", line: 100_004, column: 1,
            containing: "while scanning a quoted scalar at line 100003, column 5")
    }
}
