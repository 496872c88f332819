/// The syntax of an API description file.
public enum DescriptionFormat: String, Sendable {
    case json
    case yaml

    /// Chooses the format from the file extension of `path`, or from the content when the extension is neither
    /// `.json` nor `.yaml`/`.yml`.
    ///
    /// Content whose first byte after an optional UTF-8 byte order mark and white space is `{` is JSON; anything
    /// else is YAML. A description that is a JSON array without a `.json` extension therefore goes to the YAML
    /// parser, which accepts it as a flow sequence and then rejects the top level as not a mapping.
    static func detect(path: String, contents: [UInt8]) -> DescriptionFormat {
        switch fileExtension(of: path) {
        case "json":
            return .json
        case "yaml", "yml":
            return .yaml
        default:
            break
        }

        var index = contents.starts(with: ByteOrderMark.utf8) ? ByteOrderMark.utf8.count : 0
        while index < contents.count, JSONSyntax.isWhitespace(contents[index]) {
            index += 1
        }
        return index < contents.count && contents[index] == JSONSyntax.openBrace ? .json : .yaml
    }

    /// Returns the lower-cased text after the last dot of the last path component, or nil when it has none.
    private static func fileExtension(of path: String) -> String? {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return nil
        }
        return name[name.index(after: dot)...].lowercased()
    }
}

/// Byte order marks that can start a description file.
enum ByteOrderMark {
    static let utf8: [UInt8] = [0xEF, 0xBB, 0xBF]
    static let utf16BigEndian: [UInt8] = [0xFE, 0xFF]
    static let utf16LittleEndian: [UInt8] = [0xFF, 0xFE]
}
