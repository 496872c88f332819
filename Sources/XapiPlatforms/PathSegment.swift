/// Percent-encoding of one URL path segment or query value.
enum PathSegment {
    /// Encodes `text` so that it stays one path segment: every byte outside the RFC 3986 unreserved set
    /// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`, `/` included.
    static func encode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            let isUnreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if isUnreserved {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += byte < 0x10 ? "%0" + hex : "%" + hex
            }
        }
        return encoded
    }
}
