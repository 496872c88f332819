/// Internal validators exposed for the fuzz targets under `Fuzz/Targets`, because `@testable import` needs
/// `-enable-testing`, which release builds with `--sanitize=fuzzer` do not have. Not for other callers.
public enum FuzzEntryPoints {
    /// Returns the components of `path` when it is a valid repository path, or nil when it is rejected.
    public static func repositoryPathComponents(_ path: String) -> [String]? {
        try? RepositoryPath.components(of: path)
    }

    /// Returns whether `paths` pass the collision check of one commit's file writes.
    public static func repositoryPathsAreAccepted(_ paths: [String]) -> Bool {
        (try? RepositoryPath.check(paths.map { FileWrite(path: $0, contents: []) })) != nil
    }
}
