import Foundation
import Testing
import XapiGit

/// Path checks of `makeCommit`, which run before any I/O: an invalid path never reaches the repository.
@Suite struct RepositoryPathTests {
    static let invalidPaths = [
        "", "/specs/openapi.yaml", "specs//openapi.yaml", "specs/", "./openapi.yaml", "specs/./openapi.yaml",
        "../openapi.yaml", "specs/../../etc/passwd", ".git/config", "specs/.GIT/hooks/pre-commit", ".Git",
        "specs/open\u{0}api.yaml",
    ]

    @Test(arguments: invalidPaths)
    func invalidPathIsRejected(_ path: String) async throws {
        let mirror = try await localMirror()

        let error = await #expect(throws: GitError.self) {
            try await mirror.makeCommit(
                parent: nil, writes: [FileWrite(path: path, contents: [1])], message: "m", author: signature)
        }
        #expect(error?.kind == .invalidPath)
        #expect(error?.message.contains("invalid repository path") == true)
    }

    @Test(arguments: [
        "openapi.yaml", "specs/openapi.yaml", "a/b/c/d.json", ".github/workflows/ci.yml", "git/x",
        "specs/.gitignore", "names with spaces/é.yaml",
    ])
    func validPathIsAccepted(_ path: String) async throws {
        let mirror = try await localMirror()

        let commit = try await mirror.makeCommit(
            parent: nil, writes: [FileWrite(path: path, contents: [1, 2])], message: "m", author: signature)

        let committed = try #require(commit)
        #expect(try await mirror.fileContents(at: path, in: committed) == [1, 2])
    }

    @Test func samePathTwiceIsRejected() async throws {
        let mirror = try await localMirror()
        let writes = [FileWrite(path: "a.yaml", contents: [1]), FileWrite(path: "a.yaml", contents: [2])]

        let error = await #expect(throws: GitError.self) {
            try await mirror.makeCommit(parent: nil, writes: writes, message: "m", author: signature)
        }
        #expect(error?.kind == .invalidPath)
    }

    @Test func fileAndFolderCollisionIsRejected() async throws {
        let mirror = try await localMirror()
        let fileFirst = [FileWrite(path: "specs", contents: [1]), FileWrite(path: "specs/a.yaml", contents: [2])]
        let folderFirst = [FileWrite(path: "specs/a.yaml", contents: [2]), FileWrite(path: "specs", contents: [1])]

        for writes in [fileFirst, folderFirst] {
            let error = await #expect(throws: GitError.self) {
                try await mirror.makeCommit(parent: nil, writes: writes, message: "m", author: signature)
            }
            #expect(error?.kind == .invalidPath)
        }
    }

    @Test func fileContentsRejectsInvalidPath() async throws {
        let mirror = try await localMirror()
        let commit = try #require(
            try await mirror.makeCommit(
                parent: nil, writes: [FileWrite(path: "a.yaml", contents: [1])], message: "m", author: signature))

        let error = await #expect(throws: GitError.self) {
            try await mirror.fileContents(at: "../a.yaml", in: commit)
        }
        #expect(error?.kind == .invalidPath)
    }
}

/// Opens a mirror whose remote is never contacted, for tests of local commits.
func localMirror() async throws -> Mirror {
    try await Mirror.open(at: try temporaryDirectory("local"), remoteURL: "https://localhost:9/unused/repo.git")
}
