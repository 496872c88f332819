import XapiSync

/// `org` and `member` commands.
enum OrganizationCommands {
    static let all: [Command] = [
        Command(
            path: ["org", "init"],
            usage: "xapi-git org init --owner USER",
            summary: "Create the organization in this home with USER as its first owner.",
            valueOptions: ["owner"]
        ) { invocation in
            let owner = try invocation.arguments.required("owner")
            try await invocation.connector(createsStore: true).initializeOrganization(owner: owner)
            invocation.output.line("organization created; \(owner) is its owner")
        }
    ]
}

enum MemberCommands {
    static let all: [Command] = [
        Command(
            path: ["member", "add"],
            usage: "xapi-git member add USER --role ROLE",
            summary: "Add a member with a role: owner, admin, reviewer, editor or viewer.",
            valueOptions: ["role"]
        ) { invocation in
            let login = try invocation.arguments.single("USER")
            let role = try parseRole(try invocation.arguments.required("role"))
            try await invocation.connector().addMember(login, role: role, as: try invocation.actor())
            invocation.output.line("added \(login) as \(role.rawValue)")
        },
        Command(
            path: ["member", "set-role"],
            usage: "xapi-git member set-role USER ROLE",
            summary: "Change a member's role; the last owner keeps the owner role."
        ) { invocation in
            guard invocation.arguments.positionals.count == 2 else { throw UsageError("expected USER and ROLE") }
            let login = invocation.arguments.positionals[0]
            let role = try parseRole(invocation.arguments.positionals[1])
            try await invocation.connector().setRole(of: login, to: role, as: try invocation.actor())
            invocation.output.line("\(login) is now \(role.rawValue)")
        },
        Command(
            path: ["member", "remove"],
            usage: "xapi-git member remove USER",
            summary: "Remove a member; the last owner cannot be removed."
        ) { invocation in
            let login = try invocation.arguments.single("USER")
            try await invocation.connector().removeMember(login, as: try invocation.actor())
            invocation.output.line("removed \(login)")
        },
        Command(
            path: ["member", "list"],
            usage: "xapi-git member list [--json]",
            summary: "List the members and their roles."
        ) { invocation in
            let members = try await invocation.connector().members(as: try invocation.actor())
            if invocation.output.json {
                invocation.output.printJSON(members.map { ["login": $0.login, "role": $0.role] })
            } else {
                invocation.output.table(["LOGIN", "ROLE"], members.map { [$0.login, $0.role] })
            }
        },
    ]

    static func parseRole(_ text: String) throws(UsageError) -> Role {
        guard let role = Role(rawValue: text) else {
            throw UsageError("'\(text)' is not a role; use one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return role
    }
}

/// `audit`.
enum AuditCommands {
    static let all: [Command] = [
        Command(
            path: ["audit"],
            usage: "xapi-git audit [--limit N] [--json]",
            summary: "Show the newest changes: who, what, when, before and after.",
            valueOptions: ["limit"]
        ) { invocation in
            let limitText = invocation.arguments.value("limit") ?? "50"
            guard let limit = Int(limitText), limit > 0 else {
                throw UsageError("--limit takes a positive whole number, got '\(limitText)'")
            }
            let entries = try await invocation.connector().auditEntries(limit: limit, as: try invocation.actor())
            if invocation.output.json {
                invocation.output.printJSON(entries.map { entry -> [String: Any] in
                    var object: [String: Any] = [
                        "at": Render.date(entry.at), "actor": entry.actor, "action": entry.action, "subject": entry.subject,
                    ]
                    object["before"] = entry.before
                    object["after"] = entry.after
                    object["changes"] = entry.changes.map { change -> [String: Any] in
                        var values: [String: Any] = ["field": change.field]
                        values["before"] = change.before
                        values["after"] = change.after
                        return values
                    }
                    return object
                })
            } else {
                invocation.output.table(
                    ["WHEN", "WHO", "ACTION", "SUBJECT", "CHANGE"],
                    entries.map { entry in
                        // Only the values that changed, such as "branch: main -> release".
                        let changes = entry.changes.map(\.text).joined(separator: "; ")
                        return [Render.date(entry.at), entry.actor, entry.action, entry.subject, changes.isEmpty ? "-" : changes]
                    }
                )
            }
        }
    ]
}
