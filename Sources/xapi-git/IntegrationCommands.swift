import Foundation
import XapiPlatforms
import XapiStore
import XapiSync

/// `integration add|verify|list|show|reconnect|edit|remove`.
enum IntegrationCommands {
    static let all: [Command] = [add, verify, list, show, reconnect, edit, remove]

    static let add = Command(
        path: ["integration", "add"],
        usage: "xapi-git integration add NAME --platform P --repo R --branch B [--folder PATH] [--base-url URL] "
            + "(--token-stdin | --token-env VAR) [--credential KIND [--email E | --username U]] [--create-branch]",
        summary: "Verify a token for a repository and branch, then store the integration with the token sealed.",
        valueOptions: TokenInput.valueOptions.union(["platform", "repo", "branch", "folder", "base-url"]),
        flagOptions: TokenInput.flagOptions.union(["create-branch"])
    ) { invocation in
        let arguments = invocation.arguments
        let name = try arguments.single("NAME")
        let platformText = try arguments.required("platform")
        guard let platform = Platform(rawValue: platformText) else {
            throw UsageError("'\(platformText)' is not a platform; use github, gitlab, bitbucket or bitbucket-dc")
        }
        if platform == .bitbucketDataCenter && arguments.value("base-url") == nil {
            throw UsageError("Bitbucket Data Center needs --base-url with the server's address")
        }
        let spec = IntegrationSpec(
            name: name,
            platform: platform,
            baseURL: arguments.value("base-url"),
            repository: try arguments.required("repo"),
            branch: try arguments.required("branch"),
            folder: arguments.value("folder") ?? "",
            allowMissingBranch: arguments.has("create-branch")
        )
        let kind = try TokenInput.kind(arguments, platform: platform) ?? .accessToken
        let secret = try TokenInput.read(arguments, environment: invocation.global.environment)

        let connector = try await invocation.connector()
        do {
            let (record, report) = try await connector.addIntegration(
                spec,
                token: AccessToken(kind: kind, secret: secret),
                as: try invocation.actor()
            )
            if invocation.output.json {
                invocation.output.printJSON(["integration": Render.integration(record), "report": Render.report(report)])
            } else {
                invocation.output.line("added integration \(record.name): \(record.repository) (\(record.branch))")
                Render.reportLines(report).forEach { invocation.output.line("  " + $0) }
            }
        } catch let error as ConnectorError {
            printReportOnFailure(error, invocation)
            throw error
        }
    }

    static let verify = Command(
        path: ["integration", "verify"],
        usage: "xapi-git integration verify NAME [--json]",
        summary: "Check the stored token against the platform and record the integration's state."
    ) { invocation in
        let name = try invocation.arguments.single("NAME")
        let (record, report) = try await invocation.connector().verifyIntegration(named: name, as: try invocation.actor())
        if invocation.output.json {
            invocation.output.printJSON(["integration": Render.integration(record), "report": Render.report(report)])
        } else {
            invocation.output.line("integration \(record.name): \(record.repository) (\(record.branch)) on \(record.platform)")
            Render.reportLines(report).forEach { invocation.output.line("  " + $0) }
            invocation.output.line("  state:     \(record.state.rawValue)")
        }
        if !report.permitsSync {
            throw ConnectorError(
                .failedVerification(report, storedToken: true),
                "integration '\(record.name)' cannot sync: \(report.detail)"
            )
        }
    }

    static let list = Command(
        path: ["integration", "list"],
        usage: "xapi-git integration list [--json]",
        summary: "List the integrations with their repositories and states."
    ) { invocation in
        let records = try await invocation.connector().integrations(as: try invocation.actor())
        if invocation.output.json {
            invocation.output.printJSON(records.map(Render.integration))
        } else {
            invocation.output.table(
                ["NAME", "PLATFORM", "REPOSITORY", "BRANCH", "STATE", "EXPIRES"],
                records.map { [$0.name, $0.platform, $0.repository, $0.branch, $0.state.rawValue, Render.expiry($0.expiresAt)] }
            )
        }
    }

    static let show = Command(
        path: ["integration", "show"],
        usage: "xapi-git integration show NAME [--history] [--json]",
        summary: "Show one integration as stored, without contacting the platform; --history adds its state changes.",
        flagOptions: ["history"]
    ) { invocation in
        let name = try invocation.arguments.single("NAME")
        let connector = try await invocation.connector()
        let actor = try invocation.actor()
        let record = try await connector.integration(named: name, as: actor)
        let history = invocation.arguments.has("history") ? try await connector.stateHistory(named: name, as: actor) : nil

        let output = invocation.output
        if output.json {
            var object = Render.integration(record)
            object["history"] = history.map { $0.map(transitionObject) }
            output.printJSON(object)
            return
        }
        Render.integrationLines(record).forEach(output.line)
        if let history {
            output.line()
            output.line("state history (oldest first):")
            output.table(
                ["WHEN", "FROM", "TO", "TOKEN", "DETAIL"],
                history.map { [Render.date($0.at), $0.from.rawValue, $0.to.rawValue, "v\($0.credentialVersion)", $0.detail] }
            )
        }
    }

    static let reconnect = Command(
        path: ["integration", "reconnect"],
        usage: "xapi-git integration reconnect NAME (--token-stdin | --token-env VAR) [--credential KIND] [--yes]",
        summary: "Verify a new token, show the review, and replace the old token once the review is accepted.",
        valueOptions: TokenInput.valueOptions,
        flagOptions: TokenInput.flagOptions.union(["yes"])
    ) { invocation in
        let arguments = invocation.arguments
        let name = try arguments.single("NAME")
        let secret = try TokenInput.read(arguments, environment: invocation.global.environment)
        let connector = try await invocation.connector()
        let actor = try invocation.actor()

        let current = try await connector.integration(named: name, as: actor)
        let platform = Platform(rawValue: current.platform) ?? .github
        let kind = arguments.value("credential") == nil ? nil : try TokenInput.kind(arguments, platform: platform)

        let review: ReconnectReview
        do {
            review = try await connector.reviewReconnect(named: name, token: secret, kind: kind, as: actor)
        } catch let error as ConnectorError {
            printReportOnFailure(error, invocation)
            throw error
        }

        let output = invocation.output
        if output.json {
            output.printJSON([
                "integration": name,
                "report": Render.report(review.report),
                "account_changed": review.accountChanged,
            ])
        } else {
            output.line("review of the reconnect of \(name) (\(current.repository), \(current.branch)):")
            output.table(["", "NOW", "AFTER"], review.changes.map { ["  " + $0.field, $0.old, $0.new] })
            output.line("  verification: \(review.report.status.rawValue): \(review.report.detail)")
            if review.accountChanged {
                output.line(
                    "  warning: the new token belongs to \(review.report.account ?? "another account"), not to "
                        + "\(current.account ?? "the previous account"); commits and access now follow that account"
                )
            }
        }

        try confirm("Replace the token of \(name)?", arguments)

        let updated = try await connector.applyReconnect(review, as: actor)
        if !output.json {
            output.line("reconnected \(updated.name): state \(updated.state.rawValue), token expires \(Render.expiry(updated.expiresAt))")
        }
    }

    /// Prints the verification report behind a failed add or reconnect, so the user sees every finding.
    static func printReportOnFailure(_ error: ConnectorError, _ invocation: Invocation) {
        guard let report = error.report else { return }
        if invocation.output.json {
            invocation.output.printJSON(["report": Render.report(report)])
        } else {
            Render.reportLines(report).forEach { invocation.output.line("  " + $0) }
        }
    }

    /// Asks the person at the terminal to accept a review, unless `--yes` accepted it already.
    ///
    /// - Throws: `.notConfirmed` (exit code 7) when the review is declined, or when there is no terminal
    ///   and no `--yes`. Callers ask before they change anything.
    static func confirm(_ question: String, _ arguments: Arguments) throws {
        guard !arguments.has("yes") else { return }
        guard let accepted = Confirmation.ask(question) else {
            throw ConnectorError(.notConfirmed, "no terminal to confirm the review on; nothing changed. Pass --yes to accept it")
        }
        guard accepted else {
            throw ConnectorError(.notConfirmed, "review declined; nothing changed")
        }
    }
}

/// `integration edit` and `integration remove`: changes that show a review and wait for it to be accepted.
extension IntegrationCommands {
    static let edit = Command(
        path: ["integration", "edit"],
        usage: "xapi-git integration edit NAME [--name NEW] [--repo R] [--branch B] [--folder PATH] [--base-url URL] [--yes]",
        summary: "Change an integration's details after a review that checks the new repository and branch live.",
        valueOptions: ["name", "repo", "branch", "folder", "base-url"],
        flagOptions: ["yes"]
    ) { invocation in
        let arguments = invocation.arguments
        let name = try arguments.single("NAME")
        let changes = IntegrationChanges(
            name: arguments.value("name"),
            repository: arguments.value("repo"),
            branch: arguments.value("branch"),
            folder: arguments.value("folder"),
            baseURL: arguments.value("base-url")
        )
        guard changes != IntegrationChanges() else {
            throw UsageError("pass at least one detail to change: --name, --repo, --branch, --folder or --base-url")
        }
        let connector = try await invocation.connector()
        let actor = try invocation.actor()

        let review: EditReview
        do {
            review = try await connector.reviewEdit(named: name, changes: changes, as: actor)
        } catch let error as ConnectorError {
            printReportOnFailure(error, invocation)
            throw error
        }

        let output = invocation.output
        if output.json {
            output.printJSON([
                "integration": name,
                "changes": review.changes.map { ["field": $0.field, "old": $0.old, "new": $0.new] },
                "report": Render.report(review.report),
            ])
        } else {
            output.line("review of the edit of \(name):")
            output.table(["", "NOW", "AFTER"], review.changes.map { ["  " + $0.field, $0.old, $0.new] })
            output.line("  live check of the new location with the stored token:")
            Render.reportLines(review.report).forEach { output.line("    " + $0) }
        }

        try confirm("Apply these changes to \(name)?", arguments)

        let updated = try await connector.applyEdit(review, as: actor)
        if !output.json {
            output.line("updated \(updated.name): \(updated.repository) (\(updated.branch)), state \(updated.state.rawValue)")
        }
    }

    static let remove = Command(
        path: ["integration", "remove"],
        usage: "xapi-git integration remove NAME [--yes]",
        summary: "Remove an integration and its Git mirror; its APIs and models stay with no integration.",
        flagOptions: ["yes"]
    ) { invocation in
        let arguments = invocation.arguments
        let name = try arguments.single("NAME")
        let connector = try await invocation.connector()
        let actor = try invocation.actor()

        let review = try await connector.reviewRemoval(named: name, as: actor)
        let output = invocation.output
        if !output.json {
            let record = review.integration
            output.line("review of the removal of \(name) (\(record.platform), \(record.repository), \(record.branch)):")
            output.line("  the sealed token, state history and sync records are deleted")
            let targets = review.targets.map(\.description).joined(separator: ", ")
            output.line("  APIs and models left with no integration: \(targets.isEmpty ? "none" : targets)")
        }

        try confirm("Remove \(name)?", arguments)

        let removed = try await connector.removeIntegration(named: name, as: actor)
        if output.json {
            output.printJSON([
                "removed": removed.integration.name,
                "detached": removed.targets.map(\.description),
            ])
        } else {
            output.line("removed \(removed.integration.name)")
        }
    }

    /// The JSON form of one state change.
    static func transitionObject(_ transition: StateTransition) -> [String: Any] {
        [
            "at": Render.date(transition.at),
            "from": transition.from.rawValue,
            "to": transition.to.rawValue,
            "detail": transition.detail,
            "credential_version": transition.credentialVersion,
        ]
    }
}
