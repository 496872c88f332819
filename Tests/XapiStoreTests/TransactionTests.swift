import Foundation
import Testing
import XapiStore

@Suite struct TransactionTests {
    let key: SealingKey

    init() throws {
        key = try SealingKey.generate()
    }

    @Test func failedWriteRollsBackEverything() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)

            #expect(throws: IntentionalFailure.self) {
                try store.write { writer in
                    try writer.initialize(owner: "alice")
                    let record = try writer.insertIntegration(newIntegration("docs"))
                    let target = try writer.addTarget(kind: "api", name: "shop/orders@1.0")
                    try writer.selectIntegration(targetID: target.id, integrationID: record.id)
                    try writer.appendAudit(
                        actor: "alice", action: "integration.add", subject: "docs", before: nil, after: nil)
                    throw IntentionalFailure()
                }
            }

            let state = try store.read { reader in
                (
                    initialized: try reader.isInitialized(),
                    members: try reader.members(),
                    integrations: try reader.integrations(),
                    targets: try reader.targets(),
                    audit: try reader.auditEntries(limit: 10)
                )
            }
            #expect(state.initialized == false)
            #expect(state.members.isEmpty)
            #expect(state.integrations.isEmpty)
            #expect(state.targets.isEmpty)
            #expect(state.audit.isEmpty)

            // The store is usable again after the rollback.
            try store.write { try $0.initialize(owner: "alice") }
            #expect(try store.read { try $0.isInitialized() })
        }
    }

    @Test func failedStoreCallRollsBackEarlierChanges() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { _ = try $0.insertIntegration(newIntegration("docs")) }

            let error = #expect(throws: StoreError.self) {
                try store.write { writer in
                    _ = try writer.insertIntegration(newIntegration("specs"))
                    _ = try writer.insertIntegration(newIntegration("docs"))
                }
            }
            #expect(error?.kind == .alreadyExists)
            #expect(try store.read { try $0.integrations() }.map(\.name) == ["docs"])
        }
    }

    @Test func twoStoresWriteConcurrently() throws {
        try withTemporaryHome { home in
            let stores = [try Store.open(home: home.path, key: key), try Store.open(home: home.path, key: key)]
            let writesPerStore = 25
            let failures = FailureList()
            let group = DispatchGroup()

            for (index, store) in stores.enumerated() {
                group.enter()
                Thread {
                    defer { group.leave() }
                    for step in 0..<writesPerStore {
                        do {
                            try store.write { writer in
                                // Holding the write lock briefly makes the other store wait for it.
                                usleep(2000)
                                try writer.appendAudit(
                                    actor: "store-\(index)", action: "test.write", subject: "\(step)", before: nil,
                                    after: nil
                                )
                            }
                        } catch {
                            failures.append("store \(index), write \(step): \(error)")
                        }
                    }
                }.start()
            }
            group.wait()

            #expect(failures.all.isEmpty)
            let entries = try stores[0].read { try $0.auditEntries(limit: 1000) }
            #expect(entries.count == 2 * writesPerStore)
            #expect(Set(entries.map(\.actor)) == ["store-0", "store-1"])
        }
    }

    @Test func writerWaitsForOtherStoreWithinBusyTimeout() throws {
        try withTemporaryHome { home in
            let holder = try Store.open(home: home.path, key: key)
            let waiter = try Store.open(home: home.path, key: key)
            let lock = HeldWrite(store: holder)

            lock.start()
            let begin = ContinuousClock.now
            Thread {
                usleep(300_000)
                lock.finish()
            }.start()

            try waiter.write { try $0.initialize(owner: "alice") }
            let waited = ContinuousClock.now - begin
            lock.join()

            #expect(waited >= .milliseconds(250))
            #expect(try waiter.read { try $0.member("alice") }?.role == "owner")
        }
    }

    @Test func busyTimeoutFailsWriterNotReader() throws {
        try withTemporaryHome { home in
            let holder = try Store.open(home: home.path, key: key)
            try holder.write { try $0.initialize(owner: "alice") }
            let impatient = try Store.open(home: home.path, key: key, busyTimeout: .milliseconds(100))
            let lock = HeldWrite(store: holder)

            lock.start()
            let error = #expect(throws: StoreError.self) {
                try impatient.write { try $0.addMember(login: "bob", role: "viewer") }
            }
            let owner = try impatient.read { try $0.member("alice") }
            lock.finish()
            lock.join()

            #expect(error?.kind == .sqlite)
            #expect(error?.message.contains("locked by another xapi-git process") == true)
            #expect(owner?.role == "owner")

            try impatient.write { try $0.addMember(login: "bob", role: "viewer") }
            #expect(try holder.read { try $0.member("bob") }?.role == "viewer")
        }
    }

    @Test func nestedStoreCallIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)

            let error = #expect(throws: StoreError.self) {
                try store.write { _ in
                    _ = try store.read { try $0.members() }
                }
            }
            #expect(error?.kind == .misuse)
        }
    }

    @Test func readerUsedAfterTransactionIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let escaped = try store.read { $0 }

            let error = #expect(throws: StoreError.self) {
                _ = try escaped.members()
            }
            #expect(error?.kind == .misuse)
        }
    }

    @Test func asyncReadAndWriteRunTransactions() async throws {
        try await withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let token = uniqueToken()

            let record = try await store.write { writer in
                try writer.initialize(owner: "alice")
                return try writer.insertIntegration(newIntegration("docs", token: token))
            }
            let (members, stored) = try await store.read { reader in
                (try reader.members().map(\.login), try reader.token(for: record))
            }
            #expect(members == ["alice"])
            #expect(stored == token)

            await #expect(throws: IntentionalFailure.self) {
                try await store.write { writer in
                    try writer.addMember(login: "bob", role: "viewer")
                    throw IntentionalFailure()
                }
            }
            #expect(try await store.read { try $0.member("bob") } == nil)
        }
    }
}

/// A write transaction held open on its own thread until `finish()`.
private final class HeldWrite: Sendable {
    private let store: Store
    private let entered = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init(store: Store) {
        self.store = store
    }

    /// Starts the transaction and returns once it holds the write lock.
    func start() {
        Thread { [self] in
            _ = try? store.write { writer in
                try writer.appendAudit(actor: "holder", action: "test.hold", subject: "lock", before: nil, after: nil)
                entered.signal()
                released.wait()
            }
            done.signal()
        }.start()
        entered.wait()
    }

    func finish() {
        released.signal()
    }

    func join() {
        done.wait()
    }
}

/// Failure messages gathered from several threads.
private final class FailureList: @unchecked Sendable {
    // @unchecked Sendable: `messages` is only touched while holding `lock`.
    private let lock = NSLock()
    private var messages: [String] = []

    func append(_ message: String) {
        lock.withLock { messages.append(message) }
    }

    var all: [String] {
        lock.withLock { messages }
    }
}
