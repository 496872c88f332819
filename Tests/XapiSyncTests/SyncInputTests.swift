import Foundation
import LabSupport
import Testing
import XapiCore
import XapiSync

/// A small valid OpenAPI description in YAML.
let minimalDescription = Array("openapi: 3.0.3\ninfo:\n  title: Orders\n  version: '1'\npaths: {}\n".utf8)

@Suite("Sync input checks")
struct SyncInputTests {
    @Test("multi-file layout keeps relative paths")
    func multiFileLayout() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let main = Array(
            """
            asyncapi: 2.5.0
            info:
              title: Website Backend
              version: 1.0.0
            channels:
              comment/liked:
                subscribe:
                  message:
                    $ref: '../common/messages.yaml#/commentLiked'

            """.utf8)
        let messages = Array("commentLiked:\n  payload:\n    $ref: './schemas.yaml#/commentId'\n".utf8)
        let schemas = Array("commentId:\n  type: string\n".utf8)

        let outcome = try await fixture.connector.sync(
            target,
            files: [
                SyncFile(path: "backend/asyncapi.yaml", contents: main),
                SyncFile(path: "common/messages.yaml", contents: messages),
                SyncFile(path: "common/schemas.yaml", contents: schemas),
            ],
            options: SyncOptions(),
            as: fixture.owner
        )

        #expect(
            outcome.paths == [
                "openapi/backend/asyncapi.yaml", "openapi/common/messages.yaml", "openapi/common/schemas.yaml",
            ])
        await #expect(try fixture.remoteFile("openapi/backend/asyncapi.yaml") == main)
        await #expect(try fixture.remoteFile("openapi/common/messages.yaml") == messages)
        await #expect(try fixture.remoteFile("openapi/common/schemas.yaml") == schemas)
    }

    @Test("fragments without a description rejected")
    func fragmentsAloneRejected() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let before = try await fixture.commitCount()

        await #expect {
            try await fixture.connector.sync(
                target,
                files: [SyncFile(path: "common/schemas.yaml", contents: Array("commentId:\n  type: string\n".utf8))],
                options: SyncOptions(),
                as: fixture.owner
            )
        } throws: { error in
            guard let error = error as? ConnectorError else { return false }
            return error.kind == .invalidInput && error.message.contains("'openapi', 'swagger' or 'asyncapi'")
        }
        await #expect(try fixture.commitCount() == before)
    }

    @Test(
        "malformed files report line and column",
        arguments: [
            ("broken.json", "{\n  \"openapi\": \"3.0.0\",\n  \"info\": }\n", "broken.json:3:11"),
            ("broken.yaml", "openapi: 3.0.0\ninfo:\n  title: [Orders\n", "broken.yaml:4:1"),
            ("tabs.yaml", "openapi: 3.0.0\ninfo:\n\ttitle: Orders\n", "tabs.yaml:3:1"),
        ])
    func malformedFilesRejected(path: String, text: String, position: String) async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let before = try await fixture.commitCount()

        do {
            _ = try await fixture.connector.sync(
                target,
                files: [
                    SyncFile(path: "good.yaml", contents: minimalDescription),
                    SyncFile(path: path, contents: Array(text.utf8)),
                ],
                options: SyncOptions(),
                as: fixture.owner
            )
            Issue.record("a malformed \(path) was synced")
        } catch let error as ConnectorError {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains(position), "message: \(error.message)")
        }
        await #expect(try fixture.commitCount() == before)
    }

    @Test("file without a kind key rejected")
    func missingKindKeyRejected() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()

        await #expect {
            try await fixture.connector.sync(
                target,
                files: [SyncFile(path: "orders.json", contents: Array("{\"info\": {\"title\": \"x\"}}".utf8))],
                options: SyncOptions(),
                as: fixture.owner
            )
        } throws: { error in
            (error as? ConnectorError)?.kind == .invalidInput
        }
    }

    @Test("refused path forms push nothing")
    func refusedPathForms() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let before = try await fixture.commitCount()
        let paths = [
            "/etc/passwd", "../x.yaml", "a/../../x.yaml", ".git/config", "a//b.yaml", "sub/.GIT/x", "./a.yaml",
            "a/./b.yaml", "", "a\\b.yaml", "dir/", ".git",
        ]

        for path in paths {
            await #expect(throws: ConnectorError.self, "path \(path)") {
                try await fixture.connector.sync(
                    target,
                    files: [SyncFile(path: path, contents: minimalDescription)],
                    options: SyncOptions(),
                    as: fixture.owner
                )
            }
        }
        await #expect(try fixture.commitCount() == before)
    }

    @Test("spaces, non-ASCII and percent survive")
    func specialCharactersInPaths() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let paths = ["my api/orders v2.yaml", "bestellungen/größe.yaml", "100%/a%20b.yaml", "日本/注文.yaml"]

        let outcome = try await fixture.connector.sync(
            target,
            files: paths.map { SyncFile(path: $0, contents: minimalDescription) },
            options: SyncOptions(),
            as: fixture.owner
        )
        #expect(outcome.pushed)

        let listing = try await fixture.git(["ls-tree", "-r", "-z", "--name-only", "main", "openapi/"])
        let names = listing.split(separator: 0).map { Array($0) }
        for path in paths {
            #expect(names.contains(Array(("openapi/" + path).utf8)), "path \(path) missing from \(names.count) names")
        }
        for path in paths {
            await #expect(try fixture.remoteFile("openapi/" + path) == minimalDescription)
        }
    }

    @Test("CRLF and missing final newline kept under global autocrlf")
    func lineEndingsKeptUnderGlobalAutocrlf() async throws {
        let configHome = FileManager.default.temporaryDirectory.appendingPathComponent(Lab.uniqueName("gitconfig")).path
        try FileManager.default.createDirectory(atPath: configHome + "/git", withIntermediateDirectories: true)
        let config = "[core]\n\tautocrlf = true\n\teol = crlf\n"
        try Data(config.utf8).write(to: URL(fileURLWithPath: configHome + "/.gitconfig"))
        try Data(config.utf8).write(to: URL(fileURLWithPath: configHome + "/git/config"))
        let savedHome = ProcessInfo.processInfo.environment["HOME"]
        setenv("HOME", configHome, 1)
        setenv("XDG_CONFIG_HOME", configHome, 1)
        defer {
            if let savedHome { setenv("HOME", savedHome, 1) }
            unsetenv("XDG_CONFIG_HOME")
        }

        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let crlf = Array("openapi: 3.0.3\r\ninfo:\r\n  title: Orders\r\n  version: '1'\r\npaths: {}\r\n".utf8)
        let noFinalNewline = Array("openapi: 3.0.3\ninfo:\n  title: Lines\n  version: '1'\npaths: {}".utf8)
        let mixed = Array("openapi: 3.0.3\r\ninfo:\n  title: Mixed\r\n  version: '1'\npaths: {}\r".utf8)

        _ = try await fixture.connector.sync(
            target,
            files: [
                SyncFile(path: "crlf.yaml", contents: crlf),
                SyncFile(path: "no-newline.yaml", contents: noFinalNewline),
                SyncFile(path: "mixed.yaml", contents: mixed),
            ],
            options: SyncOptions(),
            as: fixture.owner
        )

        await #expect(try fixture.remoteFile("openapi/crlf.yaml") == crlf)
        await #expect(try fixture.remoteFile("openapi/no-newline.yaml") == noFinalNewline)
        await #expect(try fixture.remoteFile("openapi/mixed.yaml") == mixed)
    }

    @Test("file over the size limit rejected")
    func fileOverSizeLimitRejected() async throws {
        let fixture = try await LabFixture()
        let target = try await fixture.addSyncedAPI()
        let before = try await fixture.commitCount()

        do {
            _ = try await fixture.connector.sync(
                target,
                files: [SyncFile(path: "orders.yaml", contents: minimalDescription)],
                options: SyncOptions(maxFileSize: minimalDescription.count - 1),
                as: fixture.owner
            )
            Issue.record("a file over the limit was synced")
        } catch let error as ConnectorError {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains("maximum file size of \(minimalDescription.count - 1) bytes"))
        }
        await #expect(try fixture.commitCount() == before)

        let atLimit = try await fixture.connector.sync(
            target,
            files: [SyncFile(path: "orders.yaml", contents: minimalDescription)],
            options: SyncOptions(maxFileSize: minimalDescription.count),
            as: fixture.owner
        )
        #expect(atLimit.pushed)
    }
}
