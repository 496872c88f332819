import Foundation
import Testing
import XapiCore
import XapiStore

@Suite struct TokenFactsTests {
    let key: SealingKey

    init() throws {
        key = try SealingKey.generate()
    }

    @Test func factsOfCurrentVersionAreStored() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let record = try store.write { try $0.insertIntegration(newIntegration("docs")) }
            let expiry = Date(timeIntervalSince1970: 1_800_000_000)

            let accepted = try store.write { writer in
                try writer.recordTokenFacts(
                    id: record.id, credentialVersion: record.credentialVersion, account: "octo",
                    expiresAt: expiry, scopes: ["repo", "workflow"])
            }

            let stored = try #require(try store.read { try $0.integration(id: record.id) })
            #expect(accepted)
            #expect(stored.account == "octo")
            #expect(stored.expiresAt == expiry)
            #expect(stored.scopes == ["repo", "workflow"])
            #expect(stored.credentialVersion == record.credentialVersion)
            #expect(stored.state == record.state)
        }
    }

    @Test func factsOfReplacedTokenAreDropped() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let original = try store.write { try $0.insertIntegration(newIntegration("docs")) }
            _ = try store.write { writer in
                try writer.replaceToken(
                    id: original.id, token: uniqueToken(), credentialKind: "{}", account: "new-owner",
                    expiresAt: nil, scopes: ["api"])
            }
            let before = try #require(try store.read { try $0.integration(id: original.id) })

            let accepted = try store.write { writer in
                try writer.recordTokenFacts(
                    id: original.id, credentialVersion: original.credentialVersion, account: "old-owner",
                    expiresAt: Date(timeIntervalSince1970: 1_800_000_000), scopes: ["repo"])
            }

            #expect(accepted == false)
            #expect(try store.read { try $0.integration(id: original.id) } == before)
        }
    }

    @Test func unknownIntegrationIsNotFound() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)

            let error = #expect(throws: StoreError.self) {
                try store.write {
                    _ = try $0.recordTokenFacts(id: 999, credentialVersion: 1, account: nil, expiresAt: nil, scopes: [])
                }
            }
            #expect(error?.kind == .notFound)
        }
    }
}
