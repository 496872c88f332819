public import XapiPlatforms

/// The repository, branch and folder of a new integration, as the user gives them.
public struct IntegrationSpec: Sendable {
    public var name: String
    public var platform: Platform
    public var baseURL: String?
    public var repository: String
    public var branch: String
    /// The folder inside the repository that synced files go to; empty for the repository's root.
    public var folder: String
    /// Whether the integration may be added while its branch does not exist yet (an empty repository,
    /// or a branch that the first `sync --create-branch` creates), provided the token may push.
    public var allowMissingBranch: Bool

    public init(
        name: String,
        platform: Platform,
        baseURL: String?,
        repository: String,
        branch: String,
        folder: String,
        allowMissingBranch: Bool = false
    ) {
        self.name = name
        self.platform = platform
        self.baseURL = baseURL
        self.repository = repository
        self.branch = branch
        self.folder = folder
        self.allowMissingBranch = allowMissingBranch
    }

    /// Checks the name, branch and folder, and returns the spec with the folder normalised (no leading
    /// or trailing `/`).
    func validated() throws -> IntegrationSpec {
        guard IntegrationSpec.isValidName(name) else {
            throw ConnectorError(
                .invalidInput,
                "'\(name)' is not a valid integration name; use 1 to 64 letters, digits, '.', '_' or '-'"
            )
        }
        guard IntegrationSpec.isValidBranch(branch) else {
            throw ConnectorError(.invalidInput, "'\(branch)' is not a valid branch name")
        }
        guard !repository.isEmpty else {
            throw ConnectorError(.invalidInput, "the repository is empty; pass it with --repo")
        }

        var copy = self
        copy.folder = try RepositoryPath.normalizedFolder(folder)
        return copy
    }

    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.count) else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
        }
    }

    /// Git's rules for a branch name, the common subset: no control characters, spaces, `~^:?*[\`,
    /// no `..`, `//` or `@{`, and no component starting with `.` or ending with `.lock`.
    static func isValidBranch(_ branch: String) -> Bool {
        guard !branch.isEmpty, branch.count <= 255, !branch.hasPrefix("/"), !branch.hasSuffix("/"),
            !branch.hasSuffix("."), !branch.contains(".."), !branch.contains("//"), !branch.contains("@{"),
            branch != "@"
        else { return false }
        let forbidden = Set(" ~^:?*[\\".unicodeScalars)
        guard branch.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !forbidden.contains($0) })
        else { return false }
        return branch.split(separator: "/").allSatisfy { !$0.hasPrefix(".") && !$0.hasSuffix(".lock") }
    }
}

/// Rules for paths inside a repository, checked before any I/O.
enum RepositoryPath {
    /// Returns `folder` without leading or trailing `/`, or throws when a component is empty, `.`, `..`
    /// or `.git`, or when it contains a NUL, a control character or a backslash.
    static func normalizedFolder(_ folder: String) throws -> String {
        var trimmed = Substring(folder)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if trimmed.isEmpty { return "" }
        try validate(String(trimmed), what: "folder")
        return String(trimmed)
    }

    /// Throws unless `path` is relative and every component is a plain name.
    static func validate(_ path: String, what: String) throws {
        let problem: String?
        if path.isEmpty {
            problem = "it is empty"
        } else if path.hasPrefix("/") {
            problem = "absolute paths are not allowed"
        } else if path.utf8.contains(0) {
            problem = "it contains a NUL byte"
        } else if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            problem = "it contains a line break or another control character"
        } else if path.contains("\\") {
            problem = "it contains a backslash; use '/' between folders"
        } else if let bad = path.split(separator: "/", omittingEmptySubsequences: false).first(where: {
            $0.isEmpty || $0 == "." || $0 == ".." || $0.lowercased() == ".git"
        }) {
            problem = bad.isEmpty ? "it contains an empty component ('//')" : "it contains a '\(bad)' component"
        } else {
            problem = nil
        }
        if let problem {
            throw ConnectorError(.invalidInput, "the \(what) '\(path)' is not a valid repository path: \(problem)")
        }
    }
}
