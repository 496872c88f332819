public import Foundation

/// Internal parsers exposed for the fuzz targets under `Fuzz/Targets`, because `@testable import` needs
/// `-enable-testing`, which release builds with `--sanitize=fuzzer` do not have. Not for other callers.
public enum FuzzEntryPoints {
    /// Runs both expiry-date parsers on `text`: GitHub's expiration header and GitLab's `expires_at` day.
    public static func parseExpiration(_ text: String) -> (timestamp: Date?, dayStart: Date?) {
        (ExpirationDate.parseTimestamp(text), ExpirationDate.parseDayStart(text))
    }
}
