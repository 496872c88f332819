import Foundation
import Testing
import XapiStore

@Suite struct TargetAndSyncTests {
    let key: SealingKey

    init() throws {
        key = try SealingKey.generate()
    }

    @Test func targetsAreAddedAndListedByKind() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let added = try store.write { writer in
                [
                    try writer.addTarget(kind: "api", name: "shop/orders@2.0"),
                    try writer.addTarget(kind: "model", name: "shop/customer"),
                    try writer.addTarget(kind: "api", name: "shop/orders@1.0"),
                ]
            }
            #expect(added.allSatisfy { $0.integrationID == nil })

            let (apis, models, all, found) = try store.read { reader in
                (
                    try reader.targets(kind: "api"),
                    try reader.targets(kind: "model"),
                    try reader.targets(),
                    try reader.target(kind: "model", name: "shop/customer")
                )
            }
            #expect(apis.map(\.name) == ["shop/orders@1.0", "shop/orders@2.0"])
            #expect(models.map(\.name) == ["shop/customer"])
            #expect(all.map(\.kind) == ["api", "api", "model"])
            #expect(found == added[1])
        }
    }

    @Test func sameNameInOtherKindIsAllowed() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { writer in
                _ = try writer.addTarget(kind: "api", name: "shop/orders")
                _ = try writer.addTarget(kind: "model", name: "shop/orders")
            }

            let error = #expect(throws: StoreError.self) {
                try store.write { _ = try $0.addTarget(kind: "api", name: "shop/orders") }
            }
            #expect(error?.kind == .alreadyExists)
            #expect(error?.message.contains("api 'shop/orders' already exists") == true)
        }
    }

    @Test func unknownTargetKindIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let error = #expect(throws: StoreError.self) {
                try store.write { _ = try $0.addTarget(kind: "schema", name: "shop/orders") }
            }
            #expect(error?.kind == .invalidValue)
            #expect(error?.message.contains("api, model") == true)
        }
    }

    @Test func selectIntegrationSetsAndClearsSelection() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let (record, target) = try store.write { writer in
                (
                    try writer.insertIntegration(newIntegration("docs")),
                    try writer.addTarget(kind: "api", name: "shop/orders@1.0")
                )
            }

            try store.write { try $0.selectIntegration(targetID: target.id, integrationID: record.id) }
            let (selected, using) = try store.read { reader in
                (try reader.target(id: target.id), try reader.targets(integrationID: record.id))
            }
            #expect(selected?.integrationID == record.id)
            #expect(using.map(\.id) == [target.id])

            try store.write { try $0.selectIntegration(targetID: target.id, integrationID: nil) }
            #expect(try store.read { try $0.target(id: target.id) }?.integrationID == nil)
        }
    }

    @Test func selectingUnknownIntegrationIsNotFound() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let target = try store.write { try $0.addTarget(kind: "api", name: "shop/orders@1.0") }

            let integrationError = #expect(throws: StoreError.self) {
                try store.write { try $0.selectIntegration(targetID: target.id, integrationID: 999) }
            }
            #expect(integrationError?.kind == .notFound)

            let targetError = #expect(throws: StoreError.self) {
                try store.write { try $0.selectIntegration(targetID: 999, integrationID: nil) }
            }
            #expect(targetError?.kind == .notFound)
        }
    }

    @Test func lastSyncIsTheNewest() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let start = Date(timeIntervalSince1970: 1_750_000_000)
            let files = [SyncedFile(path: "apis/orders.yaml", blob: "4b825dc642cb6eb9a060e54bf8d69288fbee4904")]
            let (target, record) = try store.write { writer in
                (
                    try writer.addTarget(kind: "api", name: "shop/orders@1.0"),
                    try writer.insertIntegration(newIntegration("docs"))
                )
            }
            #expect(try store.read { try $0.lastSync(targetID: target.id) } == nil)

            let syncs = try store.write { writer in
                [
                    try writer.recordSync(
                        targetID: target.id, integrationID: record.id, commit: "c1", files: files, actor: "alice",
                        at: start
                    ),
                    try writer.recordSync(
                        targetID: target.id, integrationID: record.id, commit: nil, files: files, actor: "bob",
                        at: start.addingTimeInterval(60)
                    ),
                ]
            }

            let (last, history) = try store.read { reader in
                (try reader.lastSync(targetID: target.id), try reader.syncs(targetID: target.id, limit: 10))
            }
            #expect(last == syncs[1])
            #expect(last?.commitID == nil)
            #expect(last?.actor == "bob")
            #expect(last?.files == files)
            #expect(history.map(\.commitID) == [nil, "c1"])
        }
    }

    @Test func syncForUnknownTargetIsNotFound() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let record = try store.write { try $0.insertIntegration(newIntegration("docs")) }

            let error = #expect(throws: StoreError.self) {
                try store.write {
                    _ = try $0.recordSync(
                        targetID: 42, integrationID: record.id, commit: nil, files: [], actor: "alice")
                }
            }
            #expect(error?.kind == .notFound)
        }
    }

    @Test func syncedBlobsAreMergedPerPath() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let (first, second) = try store.write { writer in
                (
                    try writer.insertIntegration(newIntegration("first")),
                    try writer.insertIntegration(newIntegration("second"))
                )
            }

            try store.write { writer in
                try writer.setSyncedBlobs(integrationID: first.id, ["apis/a.yaml": "aaa1", "apis/b.yaml": "bbb1"])
                try writer.setSyncedBlobs(integrationID: second.id, ["apis/a.yaml": "other"])
            }
            try store.write {
                try $0.setSyncedBlobs(integrationID: first.id, ["apis/a.yaml": "aaa2", "apis/c.yaml": "ccc1"])
            }

            let (firstBlobs, secondBlobs) = try store.read { reader in
                (try reader.syncedBlobs(integrationID: first.id), try reader.syncedBlobs(integrationID: second.id))
            }
            #expect(firstBlobs == ["apis/a.yaml": "aaa2", "apis/b.yaml": "bbb1", "apis/c.yaml": "ccc1"])
            #expect(secondBlobs == ["apis/a.yaml": "other"])
        }
    }
}
