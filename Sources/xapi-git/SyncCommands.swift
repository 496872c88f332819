import Foundation
import XapiSync

/// `sync` and `pull`.
enum SyncCommands {
    static let all: [Command] = [sync, pull]

    static let sync = Command(
        path: ["sync"],
        usage:
            "xapi-git sync PROJECT/API@VERSION|PROJECT/MODEL --file PATH [--file PATH ...] [--root DIR] "
            + "[--message TEXT] [--overwrite] [--create-branch] [--via-pull-request] [--max-file-size BYTES]",
        summary: "Commit the files under the integration's folder and push them to its branch.",
        valueOptions: ["file", "root", "message", "max-file-size"],
        flagOptions: ["overwrite", "create-branch", "via-pull-request"]
    ) { invocation in
        let arguments = invocation.arguments
        let text = try arguments.single("PROJECT/API@VERSION or PROJECT/MODEL")
        let name = try TargetName(kind: text.contains("@") ? .api : .model, parsing: text)
        let paths = arguments.allValues("file")
        guard !paths.isEmpty else { throw UsageError("pass at least one --file PATH") }

        var options = SyncOptions(
            message: arguments.value("message"),
            overwrite: arguments.has("overwrite"),
            createBranch: arguments.has("create-branch"),
            viaPullRequest: arguments.has("via-pull-request")
        )
        if let limit = arguments.value("max-file-size") {
            guard let bytes = Int(limit), bytes > 0 else {
                throw UsageError("--max-file-size '\(limit)' is not a positive number of bytes")
            }
            options.maxFileSize = bytes
        }

        let root = arguments.value("root")
        let maxFileSize = options.maxFileSize
        let files = try await onOwnThread { try SyncInput.read(paths, root: root, maxFileSize: maxFileSize) }
        let outcome = try await invocation.connector().sync(
            name, files: files, options: options, as: try invocation.actor())
        printOutcome(outcome, output: invocation.output)
    }

    static func printOutcome(_ outcome: SyncOutcome, output: Output) {
        if output.json {
            var object: [String: Any] = [
                "target": outcome.target.description, "integration": outcome.integration,
                "repository": outcome.repository,
                "branch": outcome.branch, "paths": outcome.paths, "pushed": outcome.pushed,
                "overwritten": outcome.overwritten,
            ]
            object["commit"] = outcome.commit
            object["created_from"] = outcome.createdFrom
            object["pull_request"] = outcome.changeRequest?.webURL
            output.printJSON(object)
            return
        }

        if let commit = outcome.commit {
            output.line(
                "synced \(outcome.paths.joined(separator: ", ")) to \(outcome.repository) (\(outcome.branch)) "
                    + "as commit \(commit)"
            )
        } else {
            output.line("\(outcome.repository) (\(outcome.branch)) already has this content; nothing pushed")
        }
        if let from = outcome.createdFrom {
            output.line("created branch \(outcome.branch) from \(from)")
        }
        if !outcome.overwritten.isEmpty {
            output.line("overwrote changes on the branch to \(outcome.overwritten.joined(separator: ", "))")
        }
        if let changeRequest = outcome.changeRequest {
            output.line("\(changeRequest.isNew ? "opened" : "updated") pull request: \(changeRequest.webURL)")
        }
    }
}

/// Reads sync inputs from disk and names them inside the integration's folder.
enum SyncInput {
    /// Reads each file. Without a root a file keeps only its name; with a root it keeps its path
    /// relative to the root, and a file outside the root is refused.
    ///
    /// A file larger than `maxFileSize` is rejected from its size on disk, before it is read.
    static func read(_ paths: [String], root: String?, maxFileSize: Int) throws -> [SyncFile] {
        let rootURL = root.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath() }
        if let root, let rootURL {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: rootURL.path, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw UsageError("--root '\(root)' is not a directory")
            }
        }

        return try paths.map { path in
            let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
            let relative: String
            if let rootURL {
                let prefix = rootURL.path.hasSuffix("/") ? rootURL.path : rootURL.path + "/"
                guard url.path.hasPrefix(prefix) else {
                    throw UsageError(
                        "the file '\(path)' is outside --root '\(root ?? "")'; every file must be inside it")
                }
                relative = String(url.path.dropFirst(prefix.count))
            } else {
                relative = url.lastPathComponent
            }

            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            guard size <= maxFileSize else {
                throw UsageError(
                    "'\(path)' has \(size) bytes, more than the maximum file size of \(maxFileSize) bytes; split the "
                        + "description into files with $ref, or raise the limit with --max-file-size"
                )
            }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw UsageError("the file '\(path)' cannot be read")
            }
            return SyncFile(path: relative, contents: [UInt8](data))
        }
    }
}
