/// A file to store in a commit: its repository path and its exact bytes.
public struct FileWrite: Sendable {
    /// The repository-relative path, with "/" between folders, such as `specs/openapi.yaml`.
    public var path: String
    /// The bytes stored in the blob, unchanged: no line-ending or other conversion happens.
    public var contents: [UInt8]

    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }
}

/// Checks of repository paths, done before a mirror reads or writes anything.
enum RepositoryPath {
    /// Splits `path` into its folder and file names, or throws `.invalidPath` naming the path.
    ///
    /// A path is rejected when it is empty, starts with "/", contains NUL, or has an empty, ".", ".." or
    /// ".git" component (".git" in any case, because case-insensitive file systems treat ".GIT" as ".git").
    static func components(of path: String) throws -> [String] {
        guard !path.isEmpty else {
            throw invalid(path, "the path is empty")
        }
        guard !path.hasPrefix("/") else {
            throw invalid(path, "the path starts with \"/\"; give it relative to the repository root")
        }
        guard !path.utf8.contains(0) else {
            throw invalid(path, "the path contains a NUL byte")
        }

        // Split the UTF-8 bytes, not Characters: "/" followed by a combining mark is one Character, so a
        // Character split would keep that "/" inside a tree entry name.
        let components = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        for component in components {
            if component.isEmpty {
                throw invalid(path, "the path has an empty component (a doubled or trailing \"/\")")
            }
            if component == "." || component == ".." {
                throw invalid(path, "the path has a \"\(component)\" component")
            }
            if component.lowercased() == ".git" {
                throw invalid(path, "the path has a \".git\" component, which Git reserves")
            }
        }
        return components
    }

    /// Checks every path of `writes` and that no two of them collide: the same path twice, or a path that
    /// is a file in one write and a folder in another.
    static func check(_ writes: [FileWrite]) throws {
        var files: Set<String> = []
        var folders: Set<String> = []

        for write in writes {
            let components = try components(of: write.path)
            let normalized = components.joined(separator: "/")

            if files.contains(normalized) {
                throw invalid(write.path, "the path is written twice in the same commit")
            }
            if folders.contains(normalized) {
                throw invalid(write.path, "another write in the same commit uses this path as a folder")
            }
            for end in 1..<components.count {
                let folder = components[0..<end].joined(separator: "/")
                if files.contains(folder) {
                    throw invalid(write.path, "another write in the same commit stores a file at \"\(folder)\"")
                }
                folders.insert(folder)
            }
            files.insert(normalized)
        }
    }

    static func invalid(_ path: String, _ reason: String) -> GitError {
        GitError(kind: .invalidPath, message: "invalid repository path \"\(path)\": \(reason)")
    }
}
