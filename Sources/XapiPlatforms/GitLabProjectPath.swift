import XapiCore

extension GitLabAdapter {
    /// Turns what a user gives for a GitLab project into its full path, `group/sub/project`.
    ///
    /// Accepts the path itself, or a URL pasted from the browser or a clone dialog:
    /// `https://HOST/group/sub/project.git/`, `…/project/-/tree/main`, `…/project/-/blob/main/api.yaml`.
    /// It drops the scheme and host, the base URL's own path, `.git`, trailing slashes and everything from
    /// `/-/` on. A pasted URL must name the same host as `baseURL` (gitlab.com when nil).
    ///
    /// - Throws: `PlatformError` of kind `invalidRepository`, naming the value (never its user-info).
    public static func normalizeProjectPath(_ text: String, baseURL: BaseURL?) throws(PlatformError) -> String {
        var path = Substring(text.trimmingWhitespaceAndNewlines())

        if let schemeEnd = path.range(of: "://") {
            path = try pathOfPastedURL(path, schemeEnd: schemeEnd, baseURL: baseURL)
        }

        // The web UI puts views such as tree, blob and merge_requests after a `/-/` separator.
        if let separator = path.range(of: "/-/") {
            path = path[..<separator.lowerBound]
        } else if path.hasSuffix("/-") {
            path = path.dropLast(2)
        }
        path = trimmingSlashes(path)
        if path.lowercased().hasSuffix(".git") {
            path = trimmingSlashes(path.dropLast(4))
        }

        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let usage = "write it as group/project or group/subgroup/project, or paste the project's URL"
        guard segments.count >= 2 else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "`\(path)` is not a GitLab project path: it needs a group or user and a project; \(usage)."
            )
        }
        for segment in segments {
            let isAllowed = segment.allSatisfy { character in
                character.isASCII && (character.isLetter || character.isNumber || "-_.".contains(character))
            }
            guard !segment.isEmpty, isAllowed, !segment.hasPrefix("-"), !segment.hasPrefix(".") else {
                throw PlatformError(
                    kind: .invalidRepository,
                    message: "The segment `\(segment)` of the GitLab project path `\(path)` is not valid (GitLab "
                        + "allows letters, digits, `_`, `-` and `.`, not first); \(usage)."
                )
            }
        }
        return String(path)
    }

    /// Checks a pasted project URL's host against the base URL's and returns the URL's path.
    private static func pathOfPastedURL(
        _ url: Substring,
        schemeEnd: Range<Substring.Index>,
        baseURL: BaseURL?
    ) throws(PlatformError) -> Substring {
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let host = authority[authority.index(after: at)...]
            throw PlatformError(
                kind: .invalidRepository,
                message: "The project URL for host `\(host)` contains a user name or token before `@`; paste the "
                    + "URL without it and pass the token with --token-stdin or --token-env."
            )
        }

        let pastedServer: BaseURL
        do {
            pastedServer = try BaseURL(validating: String(url[..<schemeEnd.upperBound] + authority))
        } catch {
            throw PlatformError(kind: .invalidRepository, message: "The project URL is not usable: \(error.message)")
        }
        let expectedHost = baseURL?.host ?? "gitlab.com"
        guard pastedServer.host == expectedHost else {
            throw PlatformError(
                kind: .invalidRepository,
                message: "The project URL points at `\(pastedServer.host)`, but the integration's GitLab server is "
                    + "`\(expectedHost)`; paste a URL from \(expectedHost) or set the base URL to that server."
            )
        }

        var path = afterScheme[authorityEnd...]
        if let queryStart = path.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            path = path[..<queryStart]
        }
        path = trimmingSlashes(path)

        // A server under a context path (https://host/gitlab) repeats that path in its project URLs.
        let contextPath = trimmingSlashes(Substring(baseURL?.path ?? ""))
        if !contextPath.isEmpty, path.hasPrefix(contextPath + "/") {
            path = path.dropFirst(contextPath.count + 1)
        }
        return path
    }

    private static func trimmingSlashes(_ text: Substring) -> Substring {
        var trimmed = text
        while trimmed.hasPrefix("/") {
            trimmed = trimmed.dropFirst()
        }
        while trimmed.hasSuffix("/") {
            trimmed = trimmed.dropLast()
        }
        return trimmed
    }
}
