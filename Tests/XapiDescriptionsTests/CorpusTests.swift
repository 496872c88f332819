import Foundation
import Testing
import XapiDescriptions

/// Real descriptions published by others, kept outside the repository on the development machine.
enum Corpus {
    static let root = "/work/shared/corpus"
    static let stripeYAML = root + "/stripe-openapi/rev1.yaml"
    static let stripeJSON = root + "/stripe-openapi/small.json"
    static let asyncAPIBackend = root + "/asyncapi-social-media/backend/asyncapi.yaml"
    static let asyncAPICommon = ["messages.yaml", "schemas.yaml", "servers.yaml"].map {
        root + "/asyncapi-social-media/common/" + $0
    }

    static func isPresent(_ paths: String...) -> Bool {
        paths.allSatisfy { FileManager.default.isReadableFile(atPath: $0) }
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// These tests need the corpus files. Where a file is missing, the test is skipped and its trait comment names
/// the file.
@Suite struct CorpusTests {
    @Test(.enabled(if: Corpus.isPresent(Corpus.stripeYAML), "needs /work/shared/corpus/stripe-openapi/rev1.yaml"))
    func stripeYAMLPasses() throws {
        let summary = try DescriptionChecker.check(try Corpus.bytes(Corpus.stripeYAML), path: "stripe/rev1.yaml")

        #expect(summary == DescriptionSummary(format: .yaml, kind: .openapi, version: "3.0.0"))
    }

    @Test(.enabled(if: Corpus.isPresent(Corpus.stripeJSON), "needs /work/shared/corpus/stripe-openapi/small.json"))
    func stripeJSONPasses() throws {
        let summary = try DescriptionChecker.check(try Corpus.bytes(Corpus.stripeJSON), path: "stripe/spec3.json")

        #expect(summary == DescriptionSummary(format: .json, kind: .openapi, version: "3.0.0"))
    }

    @Test(.enabled(if: Corpus.isPresent(Corpus.stripeJSON), "needs /work/shared/corpus/stripe-openapi/small.json"))
    func stripeJSONWithoutExtensionIsJSON() throws {
        let summary = try DescriptionChecker.check(try Corpus.bytes(Corpus.stripeJSON), path: "stripe-spec")

        #expect(summary.format == .json)
    }

    @Test(.enabled(if: Corpus.isPresent(Corpus.stripeYAML), "needs /work/shared/corpus/stripe-openapi/rev1.yaml"))
    func tabInStripeYAMLIsLocated() throws {
        let text = String(decoding: try Corpus.bytes(Corpus.stripeYAML), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let titleLine = try #require(lines.firstIndex(of: "  title: Stripe API"))
        let broken = text.replacingOccurrences(of: "\n  title: Stripe API\n", with: "\n\ttitle: Stripe API\n")

        expectFailure(broken, path: "rev1.yaml", line: titleLine + 1, column: 1, containing: "tabs for indentation")
    }

    @Test(.enabled(if: Corpus.isPresent(Corpus.stripeJSON), "needs /work/shared/corpus/stripe-openapi/small.json"))
    func missingCommaInStripeJSONIsLocated() throws {
        let text = String(decoding: try Corpus.bytes(Corpus.stripeJSON), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let versionLine = try #require(lines.firstIndex(of: #"  "openapi": "3.0.0","#))
        let broken = text.replacingOccurrences(of: #"  "openapi": "3.0.0","#, with: #"  "openapi": "3.0.0""#)

        // The next line, `  "paths": {`, is where the comma is found missing.
        expectFailure(broken, path: "spec3.json", line: versionLine + 2, column: 3, containing: "expected ',' or '}'")
    }

    @Test(.enabled(if: Corpus.isPresent(Corpus.asyncAPIBackend), "needs the asyncapi-social-media backend file"))
    func asyncAPIBackendPasses() throws {
        let summary = try DescriptionChecker.check(
            try Corpus.bytes(Corpus.asyncAPIBackend), path: "backend/asyncapi.yaml")

        #expect(summary == DescriptionSummary(format: .yaml, kind: .asyncapi, version: "2.5.0"))
    }

    @Test(
        .enabled(
            if: Corpus.isPresent(Corpus.asyncAPICommon[0], Corpus.asyncAPICommon[1], Corpus.asyncAPICommon[2]),
            "needs the asyncapi-social-media common/*.yaml files"),
        arguments: Corpus.asyncAPICommon
    )
    func asyncAPICommonFileIsAFragment(_ path: String) throws {
        let bytes = try Corpus.bytes(path)
        let name = "common/" + (path.split(separator: "/").last.map(String.init) ?? path)

        expectFailure(
            bytes, path: name, line: 1, column: 1, containing: "not an API description: the top-level keys have no")
        let summary = try DescriptionChecker.check(bytes, path: name, allowFragments: true)
        #expect(summary == DescriptionSummary(format: .yaml, kind: .fragment, version: nil))
    }
}
