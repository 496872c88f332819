import Foundation
import Testing
import XapiCore
import XapiStore

@Suite struct IntegrationTests {
    let key: SealingKey

    init() throws {
        key = try SealingKey.generate()
    }

    @Test func insertedIntegrationReadsBack() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let now = Date(timeIntervalSince1970: 1_750_000_000)
            let inserted = try store.write { try $0.insertIntegration(newIntegration("docs"), at: now) }

            #expect(inserted.name == "docs")
            #expect(inserted.platform == "github")
            #expect(inserted.baseURL == "https://localhost:8443/github")
            #expect(inserted.repository == "acme/docs")
            #expect(inserted.branch == "main")
            #expect(inserted.folder == "apis")
            #expect(inserted.credentialKind == #"{"kind":"personal"}"#)
            #expect(inserted.credentialVersion == 1)
            #expect(inserted.account == "octo")
            #expect(inserted.expiresAt == Date(timeIntervalSince1970: 1_900_000_000))
            #expect(inserted.scopes == ["repo", "workflow"])
            #expect(inserted.platformProjectID == nil)
            #expect(inserted.state == .active)
            #expect(inserted.stateDetail == "token checked")
            #expect(inserted.stateCheckedAt == now)
            #expect(inserted.createdAt == now)
            #expect(inserted.updatedAt == now)
            #expect(inserted.uid.count == 32)

            let (byName, byID, all) = try store.read { reader in
                (
                    try reader.integration(named: "docs"), try reader.integration(id: inserted.id),
                    try reader.integrations()
                )
            }
            #expect(byName == inserted)
            #expect(byID == inserted)
            #expect(all == [inserted])
        }
    }

    @Test func optionalFieldsMayBeMissing() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let new = NewIntegration(
                name: "bare",
                platform: "gitlab",
                repository: "group/sub/project",
                branch: "main",
                folder: "",
                credentialKind: "{}",
                token: uniqueToken()
            )
            let record = try store.write { try $0.insertIntegration(new) }

            #expect(record.baseURL == nil)
            #expect(record.account == nil)
            #expect(record.expiresAt == nil)
            #expect(record.scopes.isEmpty)
            #expect(record.state == .unknown)
            #expect(record.stateCheckedAt == nil)
            #expect(try store.read { try $0.transitions(integrationID: record.id) }.isEmpty)
        }
    }

    @Test func duplicateNameIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { _ = try $0.insertIntegration(newIntegration("docs")) }

            let error = #expect(throws: StoreError.self) {
                try store.write { _ = try $0.insertIntegration(newIntegration("docs")) }
            }
            #expect(error?.kind == .alreadyExists)
            #expect(error?.message.contains("integration 'docs' already exists") == true)
            #expect(try store.read { try $0.integrations() }.count == 1)
        }
    }

    @Test func integrationsAreListedByName() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { writer in
                for name in ["zeta", "alpha", "mid"] {
                    _ = try writer.insertIntegration(newIntegration(name))
                }
            }
            #expect(try store.read { try $0.integrations() }.map(\.name) == ["alpha", "mid", "zeta"])
        }
    }

    @Test func updateDetailsChangesOnlyGivenFields() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let original = try store.write { try $0.insertIntegration(newIntegration("docs")) }
            let later = original.updatedAt.addingTimeInterval(60)

            let renamed = try store.write { writer in
                try writer.updateDetails(
                    id: original.id, name: "specs", branch: "release", platformProjectID: "42", at: later)
            }
            #expect(renamed.name == "specs")
            #expect(renamed.branch == "release")
            #expect(renamed.platformProjectID == "42")
            #expect(renamed.repository == original.repository)
            #expect(renamed.folder == original.folder)
            #expect(renamed.baseURL == original.baseURL)
            #expect(renamed.credentialVersion == original.credentialVersion)
            #expect(renamed.updatedAt == later)
            #expect(renamed.createdAt == original.createdAt)

            let cleared = try store.write { writer in
                try writer.updateDetails(id: original.id, baseURL: .some(nil), platformProjectID: .some(nil))
            }
            #expect(cleared.baseURL == nil)
            #expect(cleared.platformProjectID == nil)
            #expect(cleared.name == "specs")
        }
    }

    @Test func renameToTakenNameIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let docs = try store.write { writer in
                _ = try writer.insertIntegration(newIntegration("specs"))
                return try writer.insertIntegration(newIntegration("docs"))
            }

            let error = #expect(throws: StoreError.self) {
                try store.write { try $0.updateDetails(id: docs.id, name: "specs") }
            }
            #expect(error?.kind == .alreadyExists)
            #expect(try store.read { try $0.integration(id: docs.id) }?.name == "docs")
        }
    }

    @Test func replaceTokenIncrementsVersionAndResetsState() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let original = try store.write { try $0.insertIntegration(newIntegration("docs")) }
            let newToken = uniqueToken()
            let expiry = Date(timeIntervalSince1970: 2_000_000_000)

            let version = try store.write { writer in
                try writer.replaceToken(
                    id: original.id,
                    token: newToken,
                    credentialKind: #"{"kind":"app-password"}"#,
                    account: "hubot",
                    expiresAt: expiry,
                    scopes: ["repository:write"]
                )
            }
            #expect(version == 2)

            let (record, token) = try store.read { reader in
                let record = try #require(try reader.integration(id: original.id))
                return (record, try reader.token(for: record))
            }
            #expect(token == newToken)
            #expect(record.credentialVersion == 2)
            #expect(record.credentialKind == #"{"kind":"app-password"}"#)
            #expect(record.account == "hubot")
            #expect(record.expiresAt == expiry)
            #expect(record.scopes == ["repository:write"])
            #expect(record.state == .unknown)
            #expect(record.stateCheckedAt == nil)
            #expect(record.uid == original.uid)
        }
    }

    @Test func staleStateDoesNotOverwriteNewToken() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let original = try store.write { try $0.insertIntegration(newIntegration("docs")) }
            let version = try store.write { writer in
                try writer.replaceToken(
                    id: original.id, token: uniqueToken(), credentialKind: "{}", account: nil, expiresAt: nil,
                    scopes: []
                )
            }
            try store.write { writer in
                _ = try writer.recordState(
                    id: original.id, state: .active, detail: "new token works", credentialVersion: version)
            }
            let before = try #require(try store.read { try $0.integration(id: original.id) })
            let transitionsBefore = try store.read { try $0.transitions(integrationID: original.id) }

            let accepted = try store.write { writer in
                try writer.recordState(
                    id: original.id, state: .expired, detail: "old token expired",
                    credentialVersion: original.credentialVersion
                )
            }

            #expect(accepted == false)
            #expect(try store.read { try $0.integration(id: original.id) } == before)
            #expect(try store.read { try $0.transitions(integrationID: original.id) } == transitionsBefore)
        }
    }

    @Test func futureCredentialVersionIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let record = try store.write { try $0.insertIntegration(newIntegration("docs")) }

            let error = #expect(throws: StoreError.self) {
                try store.write {
                    _ = try $0.recordState(id: record.id, state: .active, detail: "", credentialVersion: 5)
                }
            }
            #expect(error?.kind == .invalidValue)
        }
    }

    @Test func stateChangesAreRecordedAsTransitions() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let start = Date(timeIntervalSince1970: 1_750_000_000)
            let record = try store.write { try $0.insertIntegration(newIntegration("docs"), at: start) }

            let steps: [(IntegrationState, String)] = [
                (.active, "still fine"),
                (.expiring, "expires in 5 days"),
                (.expiring, "expires in 4 days"),
                (.needsAttention, "push access was removed"),
            ]
            for (offset, step) in steps.enumerated() {
                let accepted = try store.write { writer in
                    try writer.recordState(
                        id: record.id,
                        state: step.0,
                        detail: step.1,
                        credentialVersion: 1,
                        at: start.addingTimeInterval(Double(offset + 1) * 60)
                    )
                }
                #expect(accepted)
            }
            let version = try store.write { writer in
                try writer.replaceToken(
                    id: record.id, token: uniqueToken(), credentialKind: "{}", account: nil, expiresAt: nil, scopes: [])
            }

            let (current, transitions) = try store.read { reader in
                (try reader.integration(id: record.id), try reader.transitions(integrationID: record.id))
            }
            #expect(current?.stateDetail == "the token was replaced and has not been checked yet")

            let summary = transitions.map { "\($0.from.rawValue)>\($0.to.rawValue)@\($0.credentialVersion)" }
            #expect(
                summary == [
                    "unknown>active@1", "active>expiring@1", "expiring>needs-attention@1", "needs-attention>unknown@2",
                ])
            #expect(
                transitions.map(\.detail).prefix(3) == [
                    "token checked", "expires in 5 days", "push access was removed",
                ])
            #expect(transitions[1].at == start.addingTimeInterval(120))
            #expect(transitions.last?.credentialVersion == version)
        }
    }

    @Test func sameStateUpdatesDetailAndCheckTime() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let record = try store.write { try $0.insertIntegration(newIntegration("docs")) }
            let checkedAt = record.createdAt.addingTimeInterval(3600)

            try store.write { writer in
                _ = try writer.recordState(
                    id: record.id, state: .active, detail: "checked again", credentialVersion: 1, at: checkedAt
                )
            }

            let current = try #require(try store.read { try $0.integration(id: record.id) })
            #expect(current.stateDetail == "checked again")
            #expect(current.stateCheckedAt == checkedAt)
            #expect(current.updatedAt == record.updatedAt)
            #expect(try store.read { try $0.transitions(integrationID: record.id) }.count == 1)
        }
    }

    @Test func deleteRemovesIntegrationAndItsHistory() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let (record, target) = try store.write { writer in
                let record = try writer.insertIntegration(newIntegration("docs"))
                let target = try writer.addTarget(kind: "api", name: "shop/orders@1.0")
                try writer.selectIntegration(targetID: target.id, integrationID: record.id)
                _ = try writer.recordSync(
                    targetID: target.id, integrationID: record.id, commit: "abc", files: [], actor: "alice"
                )
                try writer.setSyncedBlobs(integrationID: record.id, ["apis/orders.yaml": "0123"])
                return (record, target)
            }

            try store.write { try $0.deleteIntegration(id: record.id) }

            let state = try store.read { reader in
                (
                    integration: try reader.integration(id: record.id),
                    transitions: try reader.transitions(integrationID: record.id),
                    blobs: try reader.syncedBlobs(integrationID: record.id),
                    target: try reader.target(id: target.id),
                    lastSync: try reader.lastSync(targetID: target.id)
                )
            }
            #expect(state.integration == nil)
            #expect(state.transitions.isEmpty)
            #expect(state.blobs.isEmpty)
            #expect(state.target?.integrationID == nil)
            #expect(state.lastSync == nil)

            let error = #expect(throws: StoreError.self) {
                try store.write { try $0.deleteIntegration(id: record.id) }
            }
            #expect(error?.kind == .notFound)
        }
    }

    @Test func deletedIntegrationIDIsNotReused() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let first = try store.write { try $0.insertIntegration(newIntegration("docs")) }
            try store.write { try $0.deleteIntegration(id: first.id) }
            let second = try store.write { try $0.insertIntegration(newIntegration("docs")) }

            #expect(second.id != first.id)
            let accepted = #expect(throws: StoreError.self) {
                try store.write {
                    _ = try $0.recordState(id: first.id, state: .expired, detail: "", credentialVersion: 1)
                }
            }
            #expect(accepted?.kind == .notFound)
            #expect(try store.read { try $0.integration(id: second.id) }?.state == .active)
        }
    }

    @Test func tokenOfDeletedIntegrationIsNotFound() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let record = try store.write { try $0.insertIntegration(newIntegration("docs")) }
            try store.write { try $0.deleteIntegration(id: record.id) }

            let error = #expect(throws: StoreError.self) {
                _ = try store.read { try $0.token(for: record) }
            }
            #expect(error?.kind == .notFound)
        }
    }
}
