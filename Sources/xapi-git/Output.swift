import Foundation
import XapiPlatforms
import XapiStore

/// Writes command results: text for people, or JSON with `--json`.
struct Output: Sendable {
    let json: Bool

    func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Prints `value` as JSON with sorted keys on stdout.
    func printJSON(_ value: Any) {
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: options)
        else {
            FileHandle.standardError.write(Data("xapi-git: error: the result could not be written as JSON\n".utf8))
            return
        }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// Prints rows as aligned columns under a header.
    func table(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        let render = { (cells: [String]) -> String in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        line(render(header))
        rows.forEach { line(render($0)) }
    }
}

/// Text and JSON forms of domain values.
enum Render {
    static func date(_ date: Date?) -> String {
        guard let date else { return "never" }
        return ISO8601DateFormatter().string(from: date)
    }

    /// A token's expiry. A missing date means either that the token never expires or that the platform
    /// does not report expiry (Bitbucket, Data Center), and the two cannot be told apart.
    static func expiry(_ date: Date?) -> String {
        guard let date else { return "not reported" }
        return ISO8601DateFormatter().string(from: date)
    }

    static func report(_ report: TokenReport) -> [String: Any] {
        var object: [String: Any] = [
            "status": report.status.rawValue,
            "detail": report.detail,
            "scopes": report.scopes,
            "missing": report.missing,
            "notes": report.notes,
        ]
        object["account"] = report.account
        object["expires_at"] = report.expiresAt.map { ISO8601DateFormatter().string(from: $0) }
        object["can_push"] = report.canPush
        object["branch_protected"] = report.branchProtected
        object["sso_authorization_url"] = report.ssoAuthorizationURL
        object["retry_at"] = report.retryAt.map { ISO8601DateFormatter().string(from: $0) }
        return object
    }

    static func reportLines(_ report: TokenReport) -> [String] {
        var lines = [
            "status:    \(report.status.rawValue)",
            "account:   \(report.account ?? "unknown")",
            "expires:   \(expiry(report.expiresAt))",
            "scopes:    \(report.scopes.isEmpty ? "none reported" : report.scopes.joined(separator: ", "))",
            "can push:  \(report.canPush.map { $0 ? "yes" : "no" } ?? "unknown")",
        ]
        if let protected = report.branchProtected {
            lines.append("protected: \(protected ? "yes" : "no")")
        }
        if !report.missing.isEmpty {
            lines.append("missing:   \(report.missing.joined(separator: ", "))")
        }
        if let url = report.ssoAuthorizationURL {
            lines.append("authorize: \(url)")
        }
        if let retry = report.retryAt {
            lines.append("retry at:  \(date(retry))")
        }
        lines.append("detail:    \(report.detail)")
        lines += report.notes.map { "note:      \($0)" }
        return lines
    }

    static func integration(_ record: IntegrationRecord) -> [String: Any] {
        var object: [String: Any] = [
            "name": record.name,
            "platform": record.platform,
            "repository": record.repository,
            "branch": record.branch,
            "folder": record.folder,
            "state": record.state.rawValue,
            "state_detail": record.stateDetail,
            "scopes": record.scopes,
            "credential_version": record.credentialVersion,
        ]
        object["base_url"] = record.baseURL
        object["account"] = record.account
        object["expires_at"] = record.expiresAt.map { ISO8601DateFormatter().string(from: $0) }
        object["checked_at"] = record.stateCheckedAt.map { ISO8601DateFormatter().string(from: $0) }
        return object
    }

    static func integrationLines(_ record: IntegrationRecord) -> [String] {
        [
            "name:       \(record.name)",
            "platform:   \(record.platform)" + (record.baseURL.map { " at \($0)" } ?? ""),
            "repository: \(record.repository)",
            "branch:     \(record.branch)",
            "folder:     \(record.folder.isEmpty ? "(repository root)" : record.folder)",
            "account:    \(record.account ?? "unknown")",
            "expires:    \(expiry(record.expiresAt))",
            "scopes:     \(record.scopes.isEmpty ? "none reported" : record.scopes.joined(separator: ", "))",
            "state:      \(record.state.rawValue)" + (record.stateDetail.isEmpty ? "" : " (\(record.stateDetail))"),
        ]
    }
}
