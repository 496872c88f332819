import Foundation
import XapiPlatforms
import XapiSync

/// `integration add|verify|list|show|reconnect`.
enum IntegrationCommands {
    static let all: [Command] = [add, verify, list, show, reconnect]

    static let add = Command(
        path: ["integration", "add"],
        usage: "xapi-git integration add NAME --platform P --repo R --branch B [--folder PATH] [--base-url URL] "
            + "(--token-stdin | --token-env VAR) [--credential KIND]",
        summary: "Verify a token for a repository and branch, then store the integration with the token sealed.",
        valueOptions: TokenInput.valueOptions.union(["platform", "repo", "branch", "folder", "base-url"]),
        flagOptions: TokenInput.flagOptions
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
            folder: arguments.value("folder") ?? ""
        )
        let kind = try TokenInput.kind(arguments, platform: platform) ?? .accessToken
        let secret = try TokenInput.read(arguments, environment: invocation.global.environment)

        let connector = try invocation.connector()
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
                report.status == .expired || report.status == .revoked || report.status == .invalid
                    ? .integrationExpired : .verificationFailed,
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
                records.map { [$0.name, $0.platform, $0.repository, $0.branch, $0.state.rawValue, Render.date($0.expiresAt)] }
            )
        }
    }

    static let show = Command(
        path: ["integration", "show"],
        usage: "xapi-git integration show NAME [--json]",
        summary: "Show one integration as stored, without contacting the platform."
    ) { invocation in
        let record = try await invocation.connector().integration(named: try invocation.arguments.single("NAME"), as: try invocation.actor())
        if invocation.output.json {
            invocation.output.printJSON(Render.integration(record))
        } else {
            Render.integrationLines(record).forEach(invocation.output.line)
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
        let connector = try invocation.connector()
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

        if !arguments.has("yes") {
            guard let accepted = Confirmation.ask("Replace the token of \(name)?") else {
                throw ConnectorError(.notConfirmed, "no terminal to confirm the review on; nothing changed. Pass --yes to accept it")
            }
            guard accepted else {
                throw ConnectorError(.notConfirmed, "review declined; nothing changed")
            }
        }

        let updated = try await connector.applyReconnect(review, as: actor)
        if !output.json {
            output.line("reconnected \(updated.name): state \(updated.state.rawValue), token expires \(Render.date(updated.expiresAt))")
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
}
