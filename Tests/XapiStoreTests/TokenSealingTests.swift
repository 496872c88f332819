import Foundation
import Testing
import XapiCore

@testable import XapiStore

@Suite struct TokenSealingTests {
    let key: SealingKey

    init() throws {
        key = try SealingKey.generate()
    }

    @Test func tokenRoundTripsThroughStore() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let token = uniqueToken()
            let record = try store.write { try $0.insertIntegration(newIntegration("docs", token: token)) }

            let unsealed = try store.read { try $0.token(for: record) }
            #expect(unsealed == token)
        }
    }

    @Test func tokenBytesNeverReachStoreFiles() throws {
        try withTemporaryHome { home in
            let token = uniqueToken()
            let needle = token.revealedBytes()
            let files = [home.storePath, home.storePath + "-wal", home.storePath + "-shm"]

            do {
                let store = try Store.open(home: home.path, key: key)
                let record = try store.write { try $0.insertIntegration(newIntegration("docs", token: token)) }
                let replacement = uniqueToken()
                try store.write { writer in
                    _ = try writer.replaceToken(
                        id: record.id, token: replacement, credentialKind: "{}", account: nil, expiresAt: nil,
                        scopes: []
                    )
                }
                #expect(file(home.storePath + "-wal", contains: Array("docs".utf8)))
                for path in files {
                    // The results go into variables so that a failure prints the path, not the token bytes.
                    let firstTokenFound = file(path, contains: needle)
                    let replacementFound = file(path, contains: replacement.revealedBytes())
                    #expect(!firstTokenFound, "first token found in \(path) before checkpoint")
                    #expect(!replacementFound, "replacement token found in \(path) before checkpoint")
                }

                try store.checkpoint()
                #expect(file(home.storePath, contains: Array("acme/docs".utf8)))
                for path in files {
                    let firstTokenFound = file(path, contains: needle)
                    let replacementFound = file(path, contains: replacement.revealedBytes())
                    #expect(!firstTokenFound, "first token found in \(path) after checkpoint")
                    #expect(!replacementFound, "replacement token found in \(path) after checkpoint")
                }
            }

            // Closing the last connection checkpoints again and removes the WAL file.
            #expect(!FileManager.default.fileExists(atPath: home.storePath + "-wal"))
            let foundAfterClose = file(home.storePath, contains: needle)
            #expect(!foundAfterClose)
        }
    }

    @Test func sealedTokenHasNonceCiphertextAndTag() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let token = uniqueToken()
            let record = try store.write { try $0.insertIntegration(newIntegration("docs", token: token)) }

            let sealed = try #require(
                try rawConnection(home).queryFirst(
                    "SELECT sealed_token FROM integrations WHERE id = ?1", [.integer(record.id)]
                ) { $0.blob(0) }
            )
            #expect(sealed.count == 24 + token.revealedBytes().count + 16)

            let associatedData = TokenSealing.associatedData(integrationUID: record.uid)
            #expect(try TokenSealing.open(sealed, associatedData: associatedData, key: key) == token.revealedBytes())
            let otherData = TokenSealing.associatedData(integrationUID: "another-uid")
            #expect(try TokenSealing.open(sealed, associatedData: otherData, key: key) == nil)
        }
    }

    @Test func wrongKeyFailsWithKeyMismatch() throws {
        try withTemporaryHome { home in
            do {
                let store = try Store.open(home: home.path, key: key)
                try store.write { _ = try $0.insertIntegration(newIntegration("docs")) }
            }

            let error = #expect(throws: StoreError.self) {
                _ = try Store.open(home: home.path, key: try SealingKey.generate())
            }
            #expect(error?.kind == .keyMismatch)
            #expect(error?.message.contains("was XAPI_GIT_KEY or the key file changed?") == true)
        }
    }

    @Test func wrongKeyIsDetectedInEmptyStore() throws {
        try withTemporaryHome { home in
            _ = try Store.open(home: home.path, key: key)

            let error = #expect(throws: StoreError.self) {
                _ = try Store.open(home: home.path, key: try SealingKey.generate())
            }
            #expect(error?.kind == .keyMismatch)
        }
    }

    @Test func tokenMovedToAnotherRowDoesNotOpen() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let (first, second) = try store.write { writer in
                (
                    try writer.insertIntegration(newIntegration("first")),
                    try writer.insertIntegration(newIntegration("second"))
                )
            }

            try rawConnection(home).run(
                """
                UPDATE integrations SET sealed_token = (SELECT sealed_token FROM integrations WHERE id = ?1)
                WHERE id = ?2
                """,
                [.integer(first.id), .integer(second.id)]
            )

            let error = #expect(throws: StoreError.self) {
                _ = try store.read { try $0.token(for: second) }
            }
            #expect(error?.kind == .corruptData)
            #expect(error?.message.contains("'second'") == true)
            #expect(try store.read { try $0.token(for: first) }.isEmpty == false)
        }
    }

    @Test func rotateKeyResealsEveryToken() throws {
        try withTemporaryHome { home in
            let tokens = [uniqueToken(), uniqueToken(), uniqueToken()]
            let newKey = try SealingKey.generate()
            let store = try Store.open(home: home.path, key: key)
            let records = try store.write { writer in
                try tokens.enumerated().map { index, token in
                    try writer.insertIntegration(newIntegration("integration-\(index)", token: token))
                }
            }
            let sealedBefore = try sealedTokens(home)

            try store.rotateKey(to: newKey)

            // The same store uses the new key right away.
            let afterRotation = try store.read { reader in try records.map { try reader.token(for: $0) } }
            #expect(afterRotation == tokens)

            // Every row contains new sealed bytes that the old key no longer opens.
            let sealedAfter = try sealedTokens(home)
            #expect(sealedAfter.count == records.count)
            for record in records {
                let sealed = try #require(sealedAfter[record.id])
                #expect(sealed != sealedBefore[record.id])
                let associatedData = TokenSealing.associatedData(integrationUID: record.uid)
                #expect(try TokenSealing.open(sealed, associatedData: associatedData, key: key) == nil)
                #expect(try TokenSealing.open(sealed, associatedData: associatedData, key: newKey) != nil)
            }

            let reopened = try Store.open(home: home.path, key: newKey)
            let reopenedTokens = try reopened.read { reader in try records.map { try reader.token(for: $0) } }
            #expect(reopenedTokens == tokens)

            let error = #expect(throws: StoreError.self) {
                _ = try Store.open(home: home.path, key: key)
            }
            #expect(error?.kind == .keyMismatch)
        }
    }

    @Test func rotationMakesOtherStoreKeyStale() throws {
        try withTemporaryHome { home in
            let first = try Store.open(home: home.path, key: key)
            let second = try Store.open(home: home.path, key: key)
            let record = try first.write { try $0.insertIntegration(newIntegration("docs")) }

            try first.rotateKey(to: try SealingKey.generate())

            let readError = #expect(throws: StoreError.self) {
                _ = try second.read { try $0.token(for: record) }
            }
            #expect(readError?.kind == .keyMismatch)

            let rotateError = #expect(throws: StoreError.self) {
                try second.rotateKey(to: try SealingKey.generate())
            }
            #expect(rotateError?.kind == .keyMismatch)
        }
    }

    @Test func emptyTokenIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let error = #expect(throws: StoreError.self) {
                _ = try store.write { try $0.insertIntegration(newIntegration("docs", token: Secret(""))) }
            }
            #expect(error?.kind == .invalidValue)
        }
    }

    private func sealedTokens(_ home: TemporaryHome) throws -> [Int64: [UInt8]] {
        let rows = try rawConnection(home).query("SELECT id, sealed_token FROM integrations") {
            ($0.integer(0), $0.blob(1))
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }
}
