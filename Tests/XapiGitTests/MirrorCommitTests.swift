import Foundation
import Testing
import XapiGit

/// Commits built in memory, checked with the git command line; no network.
@Suite struct MirrorCommitTests {
    @Test func blobMatchesUnfilteredHash() async throws {
        let mirror = try await localMirror()

        let commit = try #require(
            try await mirror.makeCommit(
                parent: nil, writes: [FileWrite(path: "specs/openapi.yaml", contents: windowsText)], message: "Add",
                author: signature))

        let stored = try runGit(["--git-dir", mirror.directory, "rev-parse", "\(commit.hex):specs/openapi.yaml"])
        let expected = try runGit(["hash-object", "--no-filters", "--stdin"], input: windowsText)
        #expect(String(decoding: stored, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(
            try runGit(["--git-dir", mirror.directory, "cat-file", "blob", "\(commit.hex):specs/openapi.yaml"])
                == windowsText)
    }

    @Test func commitRecordsMessageAndAuthor() async throws {
        let mirror = try await localMirror()

        let commit = try #require(
            try await mirror.makeCommit(
                parent: nil, writes: [FileWrite(path: "a.txt", contents: [0x61])], message: "Publish the API",
                author: signature))

        let text = String(
            decoding: try runGit(["--git-dir", mirror.directory, "cat-file", "commit", commit.hex]), as: UTF8.self)
        #expect(text.contains("author Ada Tester <ada@example.com> 1700000000 +0000\n"))
        #expect(text.contains("committer Ada Tester <ada@example.com> 1700000000 +0000\n"))
        #expect(text.hasSuffix("\n\nPublish the API\n"))
        #expect(!text.contains("parent "))
    }

    @Test func siblingsAndNestedFoldersStay() async throws {
        let mirror = try await localMirror()
        let first = try #require(
            try await mirror.makeCommit(
                parent: nil,
                writes: [
                    FileWrite(path: "README.md", contents: Array("# Pets\n".utf8)),
                    FileWrite(path: "specs/v1/openapi.yaml", contents: Array("v1".utf8)),
                    FileWrite(path: "specs/v1/schemas/pet.json", contents: Array("{}".utf8)),
                ],
                message: "First", author: signature))

        let second = try #require(
            try await mirror.makeCommit(
                parent: first, writes: [FileWrite(path: "specs/v1/openapi.yaml", contents: Array("v2".utf8))],
                message: "Second", author: signature))

        #expect(try await mirror.fileContents(at: "README.md", in: second) == Array("# Pets\n".utf8))
        #expect(try await mirror.fileContents(at: "specs/v1/schemas/pet.json", in: second) == Array("{}".utf8))
        #expect(try await mirror.fileContents(at: "specs/v1/openapi.yaml", in: second) == Array("v2".utf8))
        #expect(try await mirror.fileContents(at: "specs/v1/openapi.yaml", in: first) == Array("v1".utf8))
        let parents = try runGit(["--git-dir", mirror.directory, "rev-parse", "\(second.hex)^"])
        #expect(String(decoding: parents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == first.hex)
    }

    @Test func unchangedTreeGivesNoCommit() async throws {
        let mirror = try await localMirror()
        let writes = [FileWrite(path: "specs/openapi.yaml", contents: windowsText)]
        let first = try #require(
            try await mirror.makeCommit(parent: nil, writes: writes, message: "m", author: signature))

        let again = try await mirror.makeCommit(parent: first, writes: writes, message: "m", author: signature)
        let nothing = try await mirror.makeCommit(parent: first, writes: [], message: "m", author: signature)

        #expect(again == nil)
        #expect(nothing == nil)
    }

    @Test func emptyWritesWithoutParentGiveNoCommit() async throws {
        let mirror = try await localMirror()

        #expect(try await mirror.makeCommit(parent: nil, writes: [], message: "m", author: signature) == nil)
    }

    @Test func folderOverParentFileIsRejected() async throws {
        let mirror = try await localMirror()
        let first = try #require(
            try await mirror.makeCommit(
                parent: nil, writes: [FileWrite(path: "specs", contents: [1])], message: "m", author: signature))

        let error = await #expect(throws: GitError.self) {
            try await mirror.makeCommit(
                parent: first, writes: [FileWrite(path: "specs/openapi.yaml", contents: [2])], message: "m",
                author: signature)
        }
        #expect(error?.kind == .invalidPath)
        #expect(error?.message.contains("specs") == true)
    }

    @Test func fileOverParentFolderIsRejected() async throws {
        let mirror = try await localMirror()
        let first = try #require(
            try await mirror.makeCommit(
                parent: nil, writes: [FileWrite(path: "specs/openapi.yaml", contents: [1])], message: "m",
                author: signature))

        let error = await #expect(throws: GitError.self) {
            try await mirror.makeCommit(
                parent: first, writes: [FileWrite(path: "specs", contents: [2])], message: "m", author: signature)
        }
        #expect(error?.kind == .invalidPath)
    }

    @Test func fileContentsOfMissingPathIsNil() async throws {
        let mirror = try await localMirror()
        let commit = try #require(
            try await mirror.makeCommit(
                parent: nil, writes: [FileWrite(path: "specs/a.yaml", contents: [])], message: "m", author: signature))

        #expect(try await mirror.fileContents(at: "specs/a.yaml", in: commit) == [])
        #expect(try await mirror.fileContents(at: "specs/b.yaml", in: commit) == nil)
        #expect(try await mirror.fileContents(at: "specs", in: commit) == nil)
    }

    @Test func unknownParentIsReported() async throws {
        let mirror = try await localMirror()
        let unknown = try #require(GitObjectID(hex: String(repeating: "ab", count: 20)))

        let error = await #expect(throws: GitError.self) {
            try await mirror.makeCommit(
                parent: unknown, writes: [FileWrite(path: "a", contents: [1])], message: "m", author: signature)
        }
        #expect(error?.message.contains(unknown.hex) == true)
    }

    @Test func reopeningKeepsCommitsAndOrigin() async throws {
        let directory = try temporaryDirectory("reopen")
        let first = try await Mirror.open(at: directory, remoteURL: "https://localhost:9/one.git")
        let commit = try #require(
            try await first.makeCommit(
                parent: nil, writes: [FileWrite(path: "a", contents: [7])], message: "m", author: signature))

        let second = try await Mirror.open(at: directory, remoteURL: "https://localhost:9/two.git")

        #expect(try await second.fileContents(at: "a", in: commit) == [7])
        let url = try runGit(["--git-dir", directory, "config", "remote.origin.url"])
        #expect(String(decoding: url, as: UTF8.self) == "https://localhost:9/two.git\n")
    }

    @Test func nonRepositoryDirectoryIsRejected() async throws {
        let directory = try temporaryDirectory("occupied")
        try Data("notes".utf8).write(to: URL(fileURLWithPath: directory + "/notes.txt"))

        await #expect(throws: GitError.self) {
            try await Mirror.open(at: directory, remoteURL: "https://localhost:9/repo.git")
        }
    }

    @Test(arguments: [
        "https://x-access-token:secret-token@localhost:9/repo.git", "https://user@localhost:9/repo.git",
        "http://example.com/repo.git", "ftp://localhost/repo.git", "not a url",
    ])
    func unsafeRemoteURLIsRejected(_ url: String) async throws {
        let directory = try temporaryDirectory("unsafe")

        let error = await #expect(throws: GitError.self) {
            try await Mirror.open(at: directory, remoteURL: url)
        }
        #expect(error?.message.contains("secret-token") == false)
        #expect(!FileManager.default.fileExists(atPath: directory + "/config"))
    }

    @Test func objectIDParsesHex() {
        let upper = String(repeating: "AB", count: 20)

        #expect(GitObjectID(hex: upper)?.hex == String(repeating: "ab", count: 20))
        #expect(GitObjectID(hex: "abc") == nil)
        #expect(GitObjectID(hex: String(repeating: "zz", count: 20)) == nil)
    }
}
