import XapiGit

/// Feeds fuzzed paths to the repository path validator and checks that nothing it accepts can escape the
/// repository or write into `.git`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRepositoryPath(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)

    if let components = FuzzEntryPoints.repositoryPathComponents(text) {
        if components.isEmpty || text.hasPrefix("/") || text.utf8.contains(0) {
            fatalError("accepted an empty, absolute or NUL-containing path")
        }
        for component in components {
            if component.isEmpty || component == "." || component == ".." || component.lowercased() == ".git"
                || component.contains("/")
            {
                fatalError("accepted a path with the component '\(component)'")
            }
        }
        if components.joined(separator: "/") != text {
            fatalError("the components of an accepted path do not join back to it")
        }
    }

    // Lines are the paths of one commit; a set of paths where one is a prefix folder of another must fail.
    let paths = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if FuzzEntryPoints.repositoryPathsAreAccepted(paths) {
        let unique = Set(paths)
        if unique.count != paths.count {
            fatalError("accepted the same path twice")
        }
        for path in paths where paths.contains(where: { $0.hasPrefix(path + "/") }) {
            fatalError("accepted '\(path)' as a file and as a folder")
        }
    }
    return 0
}
