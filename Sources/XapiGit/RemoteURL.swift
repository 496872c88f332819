import Foundation

/// Checks of a remote URL before it is stored in a mirror's configuration.
enum RemoteURL {
    /// Returns the host (with its port, when the URL names one) of `url` for messages, or throws when the
    /// URL is not https (plain http is allowed only to this machine) or carries user information.
    ///
    /// The transport checks the same rules on every request; checking here keeps a token in the URL out of
    /// the mirror's `config` file.
    static func checkedHost(of url: String) throws -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw GitError(
                kind: .other, message: "the Git remote URL is malformed; use a URL such as https://HOST/OWNER/REPO.git")
        }
        let authority = components.port.map { "\(host):\($0)" } ?? host

        guard components.user == nil, components.password == nil else {
            throw GitError(
                kind: .other,
                message: "the Git remote URL for \(authority) carries user information; remove it from the URL "
                    + "and pass the credential through the integration instead")
        }
        guard scheme == "https" || (scheme == "http" && isLoopback(host)) else {
            throw GitError(
                kind: .other,
                message: "the Git remote \(authority) uses \(scheme); only https is allowed (plain http only to "
                    + "this machine)")
        }
        return authority
    }

    private static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "::1" || name == "[::1]" {
            return true
        }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
