import Testing
import XapiDescriptions

@Suite struct TopLevelTests {
    @Test func topLevelSequenceFails() {
        expectFailure(
            "- openapi\n- 3.0.0\n", path: "api.yaml", line: 1, column: 1,
            containing: "not an API description: the top level is a sequence")
        expectFailure(
            "  [{\"openapi\": \"3.0.0\"}]", path: "api.json", line: 1, column: 3,
            containing: "not an API description: the top level is a sequence")
    }

    @Test func topLevelScalarFails() {
        expectFailure(
            "openapi 3.0.0\n", path: "api.yaml", line: 1, column: 1,
            containing: "not an API description: the top level is a scalar")
        expectFailure(
            "\"openapi\"", path: "api.json", line: 1, column: 1,
            containing: "not an API description: the top level is a scalar")
        expectFailure("42", path: "api.json", line: 1, column: 1, containing: "the top level is a scalar")
    }

    @Test func missingKindKeyFails() {
        let error = expectFailure(
            "\ninfo:\n  title: Orders\n  openapi: 3.0.0\n", path: "orders.yaml", line: 2, column: 1,
            containing: "not an API description")

        #expect(
            error?.message == "orders.yaml:2:1: not an API description: the top-level keys have no 'openapi', "
                + "'swagger' or 'asyncapi'; add the key, or allow fragments if this file is only referenced by other "
                + "descriptions")
        expectFailure(
            #"{"info": {"openapi": "3.0.0"}, "x": "openapi"}"#, path: "api.json", line: 1, column: 1,
            containing: "the top-level keys have no 'openapi', 'swagger' or 'asyncapi'")
    }

    @Test func keyCaseMatters() {
        expectFailure(
            "OpenAPI: 3.0.0\n", path: "api.yaml", line: 1, column: 1, containing: "the top-level keys have no")
    }

    @Test func kindInLaterDocumentIsIgnored() {
        expectFailure(
            "info: {}\n---\nopenapi: 3.0.0\n", path: "api.yaml", line: 1, column: 1,
            containing: "the top-level keys have no")
    }

    @Test func twoKindKeysFail() {
        expectFailure(
            "openapi: 3.0.0\ninfo: {}\nasyncapi: 2.6.0\n", path: "api.yaml", line: 3, column: 1,
            containing: "the top-level key 'asyncapi' appears after 'openapi'")
        expectFailure(
            #"{"swagger": "2.0", "swagger": "2.0"}"#, path: "api.json", line: 1, column: 20,
            containing: "the top-level key 'swagger' appears twice")
    }

    @Test func fragmentFailsByDefault() {
        expectFailure(
            "commentId:\n  type: string\n", path: "schemas.yaml", line: 1, column: 1,
            containing: "not an API description")
    }

    @Test func fragmentPassesWhenAllowed() throws {
        let mapping = try check("commentId:\n  type: string\n", path: "schemas.yaml", allowFragments: true)
        let sequence = try check(#"[{"type": "string"}]"#, path: "examples.json", allowFragments: true)

        #expect(mapping == DescriptionSummary(format: .yaml, kind: .fragment, version: nil))
        #expect(sequence == DescriptionSummary(format: .json, kind: .fragment, version: nil))
    }

    @Test func allowedFragmentStillParses() {
        expectFailure(
            "commentId:\n  type: 'string\n", path: "schemas.yaml", line: 3, column: 1,
            containing: "invalid YAML", allowFragments: true)
        expectFailure(
            #"{"type": "string",}"#, path: "schemas.json", line: 1, column: 18,
            containing: "trailing comma", allowFragments: true)
    }

    @Test func descriptionPassesWhenFragmentsAllowed() throws {
        let summary = try check("asyncapi: 2.5.0\n", path: "api.yaml", allowFragments: true)

        #expect(summary == DescriptionSummary(format: .yaml, kind: .asyncapi, version: "2.5.0"))
    }

    @Test func emptyFileFails() {
        for path in ["api.yaml", "api.json", "api"] {
            expectFailure([], path: path, line: nil, column: nil, containing: "\(path): the file is empty")
        }
    }

    @Test func extensionChoosesFormat() throws {
        let yamlText = "openapi: 3.0.0\n"
        let jsonText = #"{"openapi": "3.0.0"}"#

        #expect(try check(yamlText, path: "API.YML").format == .yaml)
        #expect(try check(yamlText, path: "specs/v1.2/api.yaml").format == .yaml)
        #expect(try check(jsonText, path: "api.JSON").format == .json)
        // JSON is a subset of YAML 1.2, so a JSON object in a .yaml file goes through libyaml.
        #expect(try check(jsonText, path: "api.yaml").format == .yaml)
        expectFailure(yamlText, path: "api.json", line: 1, column: 1, containing: "invalid JSON: expected a value")
    }

    @Test func contentChoosesFormatWithoutExtension() throws {
        #expect(try check("\n\t {\"openapi\": \"3.0.0\"}", path: "api").format == .json)
        #expect(try check("openapi: 3.0.0\n", path: "api.txt").format == .yaml)
        #expect(try check("openapi: 3.0.0\n", path: ".openapi").format == .yaml)
        expectFailure("{openapi: 3.0.0}", path: "specs.v1/api", line: 1, column: 2, containing: "invalid JSON")
    }
}
