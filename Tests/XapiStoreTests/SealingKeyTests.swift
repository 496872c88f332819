import Foundation
import Glibc
import Testing
import XapiStore

@Suite struct SealingKeyTests {
    @Test func createdKeyFileHasModeSixHundred() throws {
        try withTemporaryHome { home in
            let path = home.file("config/keys/xapi-git.key")
            let created = try SealingKey.loadOrCreate(path: path)

            #expect(try permissions(of: path) == 0o600)
            #expect(try permissions(of: home.file("config/keys")) == 0o700)

            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text == created.revealedBase64() + "\n")
            #expect(Data(base64Encoded: text.trimmingCharacters(in: .newlines))?.count == SealingKey.byteCount)

            let leftovers = try FileManager.default.contentsOfDirectory(atPath: home.file("config/keys"))
            #expect(leftovers == ["xapi-git.key"])
        }
    }

    @Test func loadOrCreateReusesExistingKey() throws {
        try withTemporaryHome { home in
            let path = home.file("xapi-git.key")
            let first = try SealingKey.loadOrCreate(path: path)
            let second = try SealingKey.loadOrCreate(path: path)
            let loaded = try SealingKey.load(path: path)

            #expect(first == second)
            #expect(first == loaded)
        }
    }

    @Test func concurrentCreatorsAgreeOnOneKey() throws {
        try withTemporaryHome { home in
            let path = home.file("xapi-git.key")
            let keys = try (0..<8).map { _ in try SealingKey.generate() }
            #expect(Set(keys.map { $0.revealedBase64() }).count == 8)

            let results = ResultsBox()
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                results.append(Result { try SealingKey.loadOrCreate(path: path) })
            }

            let stored = try SealingKey.load(path: path)
            let loaded = try results.all.map { try $0.get() }
            #expect(loaded.count == 8)
            #expect(loaded.allSatisfy { $0 == stored })
        }
    }

    @Test func keyFileReadableByOthersIsRejected() throws {
        try withTemporaryHome { home in
            let path = home.file("xapi-git.key")
            _ = try SealingKey.loadOrCreate(path: path)
            #expect(chmod(path, 0o644) == 0)

            let error = #expect(throws: StoreError.self) {
                _ = try SealingKey.load(path: path)
            }
            #expect(error?.kind == .insecureKeyFile)
            #expect(error?.message.contains("chmod 600 \(path)") == true)

            let errorOnCreate = #expect(throws: StoreError.self) {
                _ = try SealingKey.loadOrCreate(path: path)
            }
            #expect(errorOnCreate?.kind == .insecureKeyFile)
        }
    }

    @Test func keyFileWithGroupWriteIsRejected() throws {
        try withTemporaryHome { home in
            let path = home.file("xapi-git.key")
            _ = try SealingKey.loadOrCreate(path: path)
            #expect(chmod(path, 0o620) == 0)

            let error = #expect(throws: StoreError.self) {
                _ = try SealingKey.load(path: path)
            }
            #expect(error?.kind == .insecureKeyFile)
        }
    }

    @Test func missingKeyFileIsNotFound() throws {
        try withTemporaryHome { home in
            let path = home.file("absent.key")
            let error = #expect(throws: StoreError.self) {
                _ = try SealingKey.load(path: path)
            }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains(path) == true)
        }
    }

    @Test func writeReplacesFileAtomicallyWithPrivateMode() throws {
        try withTemporaryHome { home in
            let path = home.file("xapi-git.key")
            #expect(FileManager.default.createFile(atPath: path, contents: Data("old\n".utf8)))
            #expect(chmod(path, 0o644) == 0)

            let key = try SealingKey.generate()
            try key.write(to: path)

            #expect(try permissions(of: path) == 0o600)
            #expect(try SealingKey.load(path: path) == key)
            #expect(try FileManager.default.contentsOfDirectory(atPath: home.path) == ["xapi-git.key"])
        }
    }

    @Test func base64KeyRoundTrips() throws {
        let key = try SealingKey.generate()
        let decoded = try SealingKey(base64: "  \(key.revealedBase64())\n")
        #expect(decoded == key)
        #expect(decoded != (try SealingKey.generate()))
    }

    @Test(arguments: ["not base64 at all!", Data(repeating: 7, count: 16).base64EncodedString(), ""])
    func invalidBase64KeyIsRejected(text: String) throws {
        let error = #expect(throws: StoreError.self) {
            _ = try SealingKey(base64: text)
        }
        #expect(error?.kind == .invalidKey)
        #expect(error?.message.contains("XAPI_GIT_KEY") == true)
    }

    @Test func keyFileWithWrongContentIsInvalid() throws {
        try withTemporaryHome { home in
            let path = home.file("xapi-git.key")
            #expect(FileManager.default.createFile(atPath: path, contents: Data("c2hvcnQ=\n".utf8)))
            #expect(chmod(path, 0o600) == 0)

            let error = #expect(throws: StoreError.self) {
                _ = try SealingKey.load(path: path)
            }
            #expect(error?.kind == .invalidKey)
            #expect(error?.message.contains(path) == true)
        }
    }

    @Test func descriptionIsRedacted() throws {
        let key = try SealingKey.generate()
        #expect(String(describing: key) == "<redacted>")
        #expect(String(reflecting: key) == "<redacted>")
        #expect("\(key)" == "<redacted>")
    }
}

/// Results gathered from several threads.
private final class ResultsBox: @unchecked Sendable {
    // @unchecked Sendable: `results` is only touched while holding `lock`.
    private let lock = NSLock()
    private var results: [Result<SealingKey, any Error>] = []

    func append(_ result: Result<SealingKey, any Error>) {
        lock.withLock { results.append(result) }
    }

    var all: [Result<SealingKey, any Error>] {
        lock.withLock { results }
    }
}
