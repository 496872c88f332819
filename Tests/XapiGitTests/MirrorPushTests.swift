import Foundation
import LabSupport
import Testing
import XapiCore
import XapiGit

/// Fetch, commit and push against the lab's GitHub, checked in the lab's bare repository with git.
@Suite struct MirrorPushTests {
    @Test func pushLandsByteIdentical() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let readme = try await repository.committedBytes("README.md")

        let tip = try #require(
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20)))
        await #expect(tip.hex == (try repository.branchTip()))
        let json = Array("{\"type\": \"object\"}\n".utf8)
        let commit = try #require(
            try await mirror.makeCommit(
                parent: tip,
                writes: [
                    FileWrite(path: "specs/openapi.yaml", contents: windowsText),
                    FileWrite(path: "specs/schemas/v1/pet.json", contents: json),
                ],
                message: "Publish the Pets API", author: signature))
        try await mirror.push(commit, to: "main", credential: repository.credential, timeout: .seconds(20))

        await #expect(try repository.branchTip() == commit.hex)
        await #expect(try repository.committedBytes("specs/openapi.yaml") == windowsText)
        await #expect(try repository.committedBytes("specs/schemas/v1/pet.json") == json)
        await #expect(try repository.committedBytes("README.md") == readme)
        let parent = try runGit([
            "--git-dir", try await repository.lab.repositoryPath(platform: "github", repository.name),
            "rev-parse", "main^",
        ])
        #expect(String(decoding: parent, as: UTF8.self) == tip.hex + "\n")
    }

    @Test func secondPushOfSameContentIsNothing() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let writes = [FileWrite(path: "openapi.yaml", contents: windowsText)]
        let tip = try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        let commit = try #require(
            try await mirror.makeCommit(parent: tip, writes: writes, message: "m", author: signature))
        try await mirror.push(commit, to: "main", credential: repository.credential, timeout: .seconds(20))

        let newTip = try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        let again = try await mirror.makeCommit(parent: newTip, writes: writes, message: "m", author: signature)

        #expect(newTip == commit)
        #expect(again == nil)
    }

    @Test func emptyRepositoryGetsFirstCommit() async throws {
        let repository = try await GitHubRepositoryFixture.make(empty: true)
        let mirror = try await repository.openMirror()

        let tip = try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        let defaultBranch = try await mirror.remoteDefaultBranch(
            credential: repository.credential, timeout: .seconds(20))
        #expect(tip == nil)
        #expect(defaultBranch == nil)

        let commit = try #require(
            try await mirror.makeCommit(
                parent: nil, writes: [FileWrite(path: "specs/openapi.yaml", contents: windowsText)], message: "First",
                author: signature))
        try await mirror.push(commit, to: "main", credential: repository.credential, timeout: .seconds(20))

        await #expect(try repository.committedBytes("specs/openapi.yaml") == windowsText)
        #expect(
            try await mirror.remoteDefaultBranch(credential: repository.credential, timeout: .seconds(20)) == "main")
    }

    @Test func missingBranchFetchesNil() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()

        let tip = try await mirror.fetch(
            branch: "release/2.0", credential: repository.credential, timeout: .seconds(20))

        #expect(tip == nil)
    }

    @Test func pushCreatesNewBranch() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let tip = try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        let commit = try #require(
            try await mirror.makeCommit(
                parent: tip, writes: [FileWrite(path: "api.yaml", contents: [0x61])], message: "m", author: signature))

        try await mirror.push(commit, to: "api-docs", credential: repository.credential, timeout: .seconds(20))

        await #expect(try repository.branchTip("api-docs") == commit.hex)
        await #expect(try repository.branchTip("main") == tip?.hex)
        #expect(
            try await mirror.fetch(branch: "api-docs", credential: repository.credential, timeout: .seconds(20))
                == commit)
    }

    @Test func protectedBranchIsPushRejected() async throws {
        let repository = try await GitHubRepositoryFixture.make(protect: ["main"])
        let mirror = try await repository.openMirror()
        let tip = try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        let commit = try #require(
            try await mirror.makeCommit(
                parent: tip, writes: [FileWrite(path: "openapi.yaml", contents: [0x61])], message: "m",
                author: signature))

        let error = await #expect(throws: GitError.self) {
            try await mirror.push(commit, to: "main", credential: repository.credential, timeout: .seconds(20))
        }

        #expect(error?.kind == .pushRejected)
        #expect(error?.rejectedReference == "refs/heads/main")
        #expect(error?.message.contains("GH006: Protected branch update failed") == true)
        #expect(error?.serverOutput?.contains("GH006") == true)
        await #expect(try repository.branchTip() == tip?.hex)
    }

    @Test func remoteAheadIsNeverPushedOver() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let first = try await repository.openMirror()
        let second = try await repository.openMirror()
        let base = try await first.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        _ = try await second.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))

        let winner = try #require(
            try await first.makeCommit(
                parent: base, writes: [FileWrite(path: "a.yaml", contents: [1])], message: "first", author: signature))
        try await first.push(winner, to: "main", credential: repository.credential, timeout: .seconds(20))
        let loser = try #require(
            try await second.makeCommit(
                parent: base, writes: [FileWrite(path: "b.yaml", contents: [2])], message: "second", author: signature))

        let error = await #expect(throws: GitError.self) {
            try await second.push(loser, to: "main", credential: repository.credential, timeout: .seconds(20))
        }
        #expect(error?.kind == .nonFastForward || error?.kind == .pushRejected)
        await #expect(try repository.branchTip() == winner.hex)

        // The caller's recovery: fetch the new tip, rebuild on it and push again.
        let newTip = try await second.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        let rebuilt = try #require(
            try await second.makeCommit(
                parent: newTip, writes: [FileWrite(path: "b.yaml", contents: [2])], message: "second",
                author: signature))
        try await second.push(rebuilt, to: "main", credential: repository.credential, timeout: .seconds(20))
        await #expect(try repository.committedBytes("a.yaml") == [1])
        await #expect(try repository.committedBytes("b.yaml") == [2])
    }

    @Test func mirrorFilesHoldNoToken() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let tip = try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20))
        let commit = try #require(
            try await mirror.makeCommit(
                parent: tip, writes: [FileWrite(path: "a.yaml", contents: [1])], message: "m", author: signature))
        try await mirror.push(commit, to: "main", credential: repository.credential, timeout: .seconds(20))

        let token = Data(repository.token.revealedBytes())
        let files = try #require(FileManager.default.subpathsOfDirectory(atPath: mirror.directory) as [String]?)
        var checked = 0
        for file in files {
            let path = mirror.directory + "/" + file
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            let contents = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(contents.range(of: token) == nil, "\(file) contains the token")
            checked += 1
        }
        let config = try String(contentsOfFile: mirror.directory + "/config", encoding: .utf8)
        #expect(config.contains("url = " + repository.remoteURL))
        #expect(checked > 5)
    }

    // A retry after a lost response pushes a commit the remote already has.
    @Test func pushOfRemoteTipSucceeds() async throws {
        let repository = try await GitHubRepositoryFixture.make()
        let mirror = try await repository.openMirror()
        let tip = try #require(
            try await mirror.fetch(branch: "main", credential: repository.credential, timeout: .seconds(20)))

        try await mirror.push(tip, to: "main", credential: repository.credential, timeout: .seconds(20))

        await #expect(try repository.branchTip() == tip.hex)
    }
}
