import Foundation
import XapiSync

extension SyncCommands {
    static let pull = Command(
        path: ["pull"],
        usage: "xapi-git pull PROJECT/API@VERSION|PROJECT/MODEL --out DIR",
        summary: "Write the files of the last sync, as they are on the branch now, under DIR.",
        valueOptions: ["out"]
    ) { invocation in
        let arguments = invocation.arguments
        let text = try arguments.single("PROJECT/API@VERSION or PROJECT/MODEL")
        let name = try TargetName(kind: text.contains("@") ? .api : .model, parsing: text)
        let folder = try arguments.required("out")

        let outcome = try await invocation.connector().pull(name, as: try invocation.actor())
        let files = outcome.files
        let written = try await onOwnThread { try PullOutput.write(files, into: folder) }

        if invocation.output.json {
            invocation.output.printJSON([
                "target": outcome.target.description, "repository": outcome.repository, "branch": outcome.branch,
                "commit": outcome.commit, "written": written, "missing": outcome.missing,
            ])
            return
        }
        invocation.output.line(
            "wrote \(written.joined(separator: ", ")) from \(outcome.repository) (\(outcome.branch)) "
                + "at \(outcome.commit)"
        )
        if !outcome.missing.isEmpty {
            invocation.output.line("not on the branch any more: \(outcome.missing.joined(separator: ", "))")
        }
    }
}

/// The writer of pulled files, which keeps every file under the folder given with --out.
enum PullOutput {
    /// Writes each file at its relative path under `folder`, creating subfolders, and returns the paths
    /// written.
    ///
    /// Before writing anything, every path is checked: relative, with no empty, `.` or `..` component. A
    /// folder on the way that is a symbolic link is rejected, so a link cannot lead a write outside `folder`.
    /// Each file is replaced atomically, which also replaces a link at the file's own path instead of
    /// following it.
    static func write(_ files: [SyncFile], into folder: String) throws -> [String] {
        let manager = FileManager.default
        for file in files {
            let components = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.path.hasPrefix("/"), !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
            else {
                throw UsageError("the pulled path '\(file.path)' is not a plain relative path; nothing was written")
            }
        }

        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw UsageError("--out '\(folder)' is a file; name a folder, which is created when missing")
        }
        do {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw UsageError("the folder '\(folder)' given with --out cannot be created; choose a writable folder")
        }
        let root = URL(fileURLWithPath: folder, isDirectory: true)

        var written: [String] = []
        for file in files {
            var parent = root
            for component in file.path.split(separator: "/").dropLast() {
                parent.appendPathComponent(String(component), isDirectory: true)
                let attributes = try? manager.attributesOfItem(atPath: parent.path)
                if attributes?[.type] as? FileAttributeType == .typeSymbolicLink {
                    throw UsageError(
                        "'\(parent.path)' is a symbolic link; pull into a folder without links so no file lands "
                            + "outside --out")
                }
                if attributes == nil {
                    try manager.createDirectory(at: parent, withIntermediateDirectories: false)
                }
            }
            let destination = root.appendingPathComponent(file.path, isDirectory: false)
            try Data(file.contents).write(to: destination, options: .atomic)
            written.append(file.path)
        }
        return written
    }
}
