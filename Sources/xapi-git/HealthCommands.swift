import Foundation
import XapiCore
import XapiPlatforms
import XapiStore
import XapiSync

/// `integration health` and `integration import`.
///
/// `integration health` exits with 0 when every integration checked is active, 10 when at least one is
/// expired, expiring within the window or needs attention, and 11 when some could not be checked (rate
/// limited, unreachable) and none needs attention.
enum HealthCommands {
    static let all: [Command] = [health, importIntegrations]

    static let health = Command(
        path: ["integration", "health"],
        usage: "xapi-git integration health [--concurrency N] [--per-host N] [--json] [--only-unhealthy] "
            + "[--expiring-within DAYS] [--platform P]",
        summary: "Check every integration's token concurrently, record the states, and print a table "
            + "(exit 0 all active, 10 some need attention, 11 some could not be checked).",
        valueOptions: ["concurrency", "per-host", "expiring-within", "platform"],
        flagOptions: ["only-unhealthy"]
    ) { invocation in
        let options = try healthOptions(invocation.arguments)
        let connector = try await invocation.connector()
        let actor = try invocation.actor()

        let showsProgress = isatty(STDERR_FILENO) == 1
        let report = try await connector.checkHealth(options, as: actor) { done, total in
            guard showsProgress, done == total || done % 50 == 0 else { return }
            let line = "\rchecked \(done)/\(total)" + (done == total ? "\n" : "")
            FileHandle.standardError.write(Data(line.utf8))
        }

        let onlyUnhealthy = invocation.arguments.has("only-unhealthy")
        let shown = report.entries.filter { !onlyUnhealthy || $0.state != .active }
        if invocation.output.json {
            // One write for all lines: a write per line costs a system call each on large batches.
            let dates = ISO8601DateFormatter()
            let lines = shown.map { jsonLine($0, dates: dates) + "\n" }.joined()
            FileHandle.standardOutput.write(Data(lines.utf8))
            FileHandle.standardError.write(Data((summary(report) + "\n").utf8))
        } else {
            invocation.output.table(
                ["NAME", "PLATFORM", "REPOSITORY", "STATE", "EXPIRES", "DETAIL"],
                shown.map { [$0.name, $0.platform, $0.repository, $0.state.rawValue, Render.expiry($0.expiresAt), $0.detail] }
            )
            invocation.output.line(summary(report))
        }

        switch report.outcome {
        case .allHealthy:
            return
        case .needsAttention:
            throw CommandExit(.healthNeedsAttention)
        case .someUnchecked:
            throw CommandExit(.healthUnchecked)
        }
    }

    static let importIntegrations = Command(
        path: ["integration", "import"],
        usage: "xapi-git integration import --file FILE.jsonl",
        summary: "Store integrations from a JSON Lines file (mode 0600, tokens included) without verifying them; "
            + "their state stays unknown until `integration health`.",
        valueOptions: ["file"]
    ) { invocation in
        let path = try invocation.arguments.required("file")
        let items = try ImportFile.read(path)
        let count = try await invocation.connector().importIntegrations(items, as: try invocation.actor())
        if invocation.output.json {
            invocation.output.printJSON(["imported": count])
        } else {
            invocation.output.line("imported \(count) integrations; run `xapi-git integration health` to check them")
        }
    }

    /// Reads the options of `integration health`.
    static func healthOptions(_ arguments: Arguments) throws(UsageError) -> HealthCheckOptions {
        let concurrency = try positiveNumber(arguments, "concurrency", default: 64, maximum: 1024)
        let perHost = try positiveNumber(arguments, "per-host", default: concurrency, maximum: 1024)

        var expiryWarning: TimeInterval?
        if let text = arguments.value("expiring-within") {
            guard let days = Int(text), (0...3650).contains(days) else {
                throw UsageError("--expiring-within takes whole days from 0 to 3650, got '\(text)'")
            }
            expiryWarning = TimeInterval(days) * 24 * 3600
        }

        var platform: Platform?
        if let text = arguments.value("platform") {
            guard let value = Platform(rawValue: text) else {
                throw UsageError("'\(text)' is not a platform; use github, gitlab, bitbucket or bitbucket-dc")
            }
            platform = value
        }

        return HealthCheckOptions(
            concurrency: concurrency,
            maxPerHost: perHost,
            expiryWarning: expiryWarning,
            platform: platform
        )
    }

    private static func positiveNumber(
        _ arguments: Arguments,
        _ name: String,
        default defaultValue: Int,
        maximum: Int
    ) throws(UsageError) -> Int {
        guard let text = arguments.value(name) else { return defaultValue }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw UsageError("--\(name) takes a whole number from 1 to \(maximum), got '\(text)'")
        }
        return value
    }

    /// Returns the summary line: how many integrations were checked, how long it took, and the count per state.
    static func summary(_ report: HealthReport) -> String {
        let counts = report.counts
        let parts = IntegrationState.allCases.map { "\(counts[$0, default: 0]) \($0.rawValue)" }
        let seconds = String(format: "%.1f", report.duration)
        var text = "checked \(report.entries.count) integrations in \(seconds) s: " + parts.joined(separator: ", ")
        if report.callsNotSent > 0 {
            text += "; \(report.callsNotSent) calls not sent because of rate limits"
        }
        return text
    }

    /// Returns one JSON object on one line, with sorted keys. `dates` formats `expires_at` and `retry_at`.
    static func jsonLine(_ entry: HealthEntry, dates: ISO8601DateFormatter) -> String {
        var object: [String: Any] = [
            "name": entry.name,
            "platform": entry.platform,
            "repository": entry.repository,
            "branch": entry.branch,
            "state": entry.state.rawValue,
            "status": entry.report.status.rawValue,
            "detail": entry.detail,
            "recorded": entry.recorded,
        ]
        object["expires_at"] = entry.expiresAt.map { dates.string(from: $0) }
        object["retry_at"] = entry.report.retryAt.map { dates.string(from: $0) }
        object["account"] = entry.report.account
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Reads the JSON Lines file of `integration import`: one object per line with `name`, `platform`,
/// `repo`, `branch`, `token` and optional `base_url`, `folder`, `credential` (`access-token`,
/// `bitbucket-access-token`, `api-token` with `email`, `app-password` with `username`, `dc-bearer`).
enum ImportFile {
    static func read(_ path: String) throws -> [ImportedIntegration] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw UsageError("the import file '\(path)' cannot be read: \(error.localizedDescription)")
        }
        let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard permissions & 0o077 == 0 else {
            throw UsageError(
                "the import file '\(path)' contains tokens but others may read it (mode \(String(permissions, radix: 8))); "
                    + "run `chmod 600 \(path)` first"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("the import file '\(path)' cannot be read")
        }

        var items: [ImportedIntegration] = []
        for (offset, line) in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() {
            let lineNumber = offset + 1
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw UsageError("line \(lineNumber) of '\(path)' is not a JSON object")
            }
            items.append(try item(object, line: lineNumber, path: path))
        }
        return items
    }

    private static func item(_ object: [String: Any], line: Int, path: String) throws(UsageError) -> ImportedIntegration {
        func field(_ name: String) throws(UsageError) -> String {
            guard let value = object[name] as? String, !value.isEmpty else {
                throw UsageError("line \(line) of '\(path)' is missing the text field \"\(name)\"")
            }
            return value
        }

        let platformText = try field("platform")
        guard let platform = Platform(rawValue: platformText) else {
            throw UsageError("line \(line) of '\(path)': '\(platformText)' is not a platform")
        }
        guard let secret = Secret(trimming: try field("token")) else {
            throw UsageError("line \(line) of '\(path)' has an empty token")
        }

        let kind: CredentialKind
        switch object["credential"] as? String ?? "access-token" {
        case "access-token": kind = .accessToken
        case "bitbucket-access-token": kind = .bitbucketAccessToken
        case "dc-bearer": kind = .dataCenterBearerToken
        case "api-token": kind = .bitbucketAPIToken(email: try field("email"))
        case "app-password": kind = .bitbucketAppPassword(username: try field("username"))
        case let other:
            throw UsageError("line \(line) of '\(path)': '\(other)' is not a credential kind")
        }

        let spec = IntegrationSpec(
            name: try field("name"),
            platform: platform,
            baseURL: object["base_url"] as? String,
            repository: try field("repo"),
            branch: try field("branch"),
            folder: object["folder"] as? String ?? ""
        )
        return ImportedIntegration(spec: spec, token: AccessToken(kind: kind, secret: secret), line: line)
    }
}
