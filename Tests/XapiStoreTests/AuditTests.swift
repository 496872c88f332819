import Foundation
import Testing
import XapiStore

@Suite struct AuditTests {
    let key: SealingKey

    init() throws {
        key = try SealingKey.generate()
    }

    @Test func entriesComeNewestFirstWithinLimit() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let start = Date(timeIntervalSince1970: 1_750_000_000)
            // Appended out of time order, and two entries at the same time.
            let offsets: [(String, Double)] = [("c", 30), ("a", 10), ("d", 40), ("b", 20), ("e", 40)]
            try store.write { writer in
                for (subject, offset) in offsets {
                    try writer.appendAudit(
                        actor: "alice", action: "test.step", subject: subject, before: nil, after: nil,
                        at: start.addingTimeInterval(offset)
                    )
                }
            }

            let (newestThree, all, none) = try store.read { reader in
                (
                    try reader.auditEntries(limit: 3), try reader.auditEntries(limit: 100),
                    try reader.auditEntries(limit: 0)
                )
            }
            #expect(newestThree.map(\.subject) == ["e", "d", "c"])
            #expect(all.map(\.subject) == ["e", "d", "c", "b", "a"])
            #expect(none.isEmpty)
        }
    }

    @Test func entryKeepsValuesBeforeAndAfter() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let at = Date(timeIntervalSince1970: 1_750_000_000)
            let appended = try store.write { writer in
                try writer.appendAudit(
                    actor: "alice",
                    action: "member.set-role",
                    subject: "bob",
                    before: ["role": "viewer"],
                    after: ["role": "editor", "note": "quotes \" and / slashes"],
                    at: at
                )
            }

            let read = try #require(try store.read { try $0.auditEntries(limit: 1) }.first)
            #expect(read == appended)
            #expect(read.actor == "alice")
            #expect(read.action == "member.set-role")
            #expect(read.subject == "bob")
            #expect(read.before == ["role": "viewer"])
            #expect(read.after == ["role": "editor", "note": "quotes \" and / slashes"])
            #expect(read.at == at)
        }
    }

    @Test func missingValuesStayNil() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write {
                try $0.appendAudit(actor: "alice", action: "org.init", subject: "alice", before: nil, after: nil)
            }

            let entry = try #require(try store.read { try $0.auditEntries(limit: 1) }.first)
            #expect(entry.before == nil)
            #expect(entry.after == nil)
        }
    }

    @Test func negativeLimitIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            let error = #expect(throws: StoreError.self) {
                _ = try store.read { try $0.auditEntries(limit: -1) }
            }
            #expect(error?.kind == .invalidValue)
        }
    }
}
