import Foundation
import Testing
import XapiStore

@Suite struct MemberTests {
    let key: SealingKey

    init() throws {
        key = try SealingKey.generate()
    }

    @Test func initializeCreatesOrganizationAndOwner() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            #expect(try store.read { try $0.isInitialized() } == false)

            let at = Date(timeIntervalSince1970: 1_700_000_000)
            try store.write { try $0.initialize(owner: "alice", at: at) }

            let (initialized, members) = try store.read { (try $0.isInitialized(), try $0.members()) }
            #expect(initialized == true)
            #expect(members.count == 1)
            #expect(members.first?.login == "alice")
            #expect(members.first?.role == "owner")
            #expect(members.first?.addedAt == at)
        }
    }

    @Test func secondInitializeIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { try $0.initialize(owner: "alice") }

            let error = #expect(throws: StoreError.self) {
                try store.write { try $0.initialize(owner: "bob") }
            }
            #expect(error?.kind == .alreadyExists)
            #expect(try store.read { try $0.member("bob") } == nil)
        }
    }

    @Test func lastOwnerCannotBeRemoved() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { writer in
                try writer.initialize(owner: "alice")
                try writer.addMember(login: "bob", role: "admin")
            }

            let error = #expect(throws: StoreError.self) {
                try store.write { try $0.removeMember(login: "alice") }
            }
            #expect(error?.kind == .constraint)
            #expect(error?.message.contains("last owner") == true)
            #expect(try store.read { try $0.member("alice") }?.role == "owner")
        }
    }

    @Test func lastOwnerCannotBeDemoted() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { try $0.initialize(owner: "alice") }

            for role in ["admin", "reviewer", "editor", "viewer"] {
                let error = #expect(throws: StoreError.self) {
                    try store.write { try $0.setRole(login: "alice", role: role) }
                }
                #expect(error?.kind == .constraint)
                #expect(error?.message.contains("'alice' is the last owner") == true)
            }
            #expect(try store.read { try $0.member("alice") }?.role == "owner")
        }
    }

    @Test func ownerCanBeDemotedWhenAnotherOwnerExists() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { writer in
                try writer.initialize(owner: "alice")
                try writer.addMember(login: "bob", role: "owner")
            }

            try store.write { try $0.setRole(login: "alice", role: "viewer") }
            #expect(try store.read { try $0.member("alice") }?.role == "viewer")

            let error = #expect(throws: StoreError.self) {
                try store.write { try $0.removeMember(login: "bob") }
            }
            #expect(error?.kind == .constraint)

            try store.write { try $0.removeMember(login: "alice") }
            #expect(try store.read { try $0.members() }.map(\.login) == ["bob"])
        }
    }

    @Test func duplicateMemberIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { try $0.initialize(owner: "alice") }

            let error = #expect(throws: StoreError.self) {
                try store.write { try $0.addMember(login: "alice", role: "viewer") }
            }
            #expect(error?.kind == .alreadyExists)
            #expect(error?.message.contains("'alice'") == true)
        }
    }

    @Test func unknownRoleIsRejected() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { try $0.initialize(owner: "alice") }

            let error = #expect(throws: StoreError.self) {
                try store.write { try $0.addMember(login: "bob", role: "superuser") }
            }
            #expect(error?.kind == .invalidValue)
            #expect(error?.message.contains("owner, admin, reviewer, editor, viewer") == true)
        }
    }

    @Test func unknownMemberIsNotFound() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { try $0.initialize(owner: "alice") }

            let removeError = #expect(throws: StoreError.self) {
                try store.write { try $0.removeMember(login: "carol") }
            }
            #expect(removeError?.kind == .notFound)

            let roleError = #expect(throws: StoreError.self) {
                try store.write { try $0.setRole(login: "carol", role: "admin") }
            }
            #expect(roleError?.kind == .notFound)
        }
    }

    @Test func membersAreListedByLogin() throws {
        try withTemporaryHome { home in
            let store = try Store.open(home: home.path, key: key)
            try store.write { writer in
                try writer.initialize(owner: "mallory")
                try writer.addMember(login: "carol", role: "editor")
                try writer.addMember(login: "alice", role: "reviewer")
            }

            let members = try store.read { try $0.members() }
            #expect(members.map(\.login) == ["alice", "carol", "mallory"])
            #expect(members.map(\.role) == ["reviewer", "editor", "owner"])
        }
    }
}
