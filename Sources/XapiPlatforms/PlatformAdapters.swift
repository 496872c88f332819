public import XapiHTTP

/// Creates the adapter for a platform after validating the server's base URL.
public enum PlatformAdapters {
    /// Returns the adapter for `platform` at `baseURL`, or at the platform's public service when `baseURL`
    /// is nil.
    ///
    /// - Throws: `PlatformError` of kind `invalidBaseURL` when the URL is malformed, not https (plain http is
    ///   accepted for loopback hosts only), or carries user-info, a query or a fragment; of kind
    ///   `missingBaseURL` for Bitbucket Data Center without a base URL.
    public static func adapter(
        for platform: Platform,
        baseURL: String?,
        transport: any HTTPTransport
    ) throws -> any PlatformAdapter {
        var server: BaseURL?
        if let baseURL {
            server = try BaseURL(validating: baseURL)
        }

        switch platform {
        case .github:
            return GitHubAdapter(baseURL: server, transport: transport)
        case .gitlab:
            return GitLabAdapter(baseURL: server, transport: transport)
        case .bitbucket:
            return BitbucketCloudAdapter(baseURL: server, transport: transport)
        case .bitbucketDataCenter:
            guard let server else {
                throw PlatformError(
                    kind: .missingBaseURL,
                    message: "Bitbucket Data Center has no public service, so it needs the server's base URL, "
                        + "such as https://bitbucket.example.com."
                )
            }
            return BitbucketDataCenterAdapter(baseURL: server, transport: transport)
        }
    }
}
