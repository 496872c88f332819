import Foundation

/// Encoding and decoding of the columns that store JSON text (scopes, synced files, audit values).
enum JSONColumn {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw StoreError(.invalidValue, "could not encode a value as JSON for the store: \(error)")
        }
    }

    /// Decodes `text`. `what` names the value in the error, such as "the scopes of integration 'docs'".
    static func decode<T: Decodable>(_ type: T.Type, from text: String, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError(.corruptData, "\(what) in the store is not valid JSON of the expected shape: \(error)")
        }
    }
}
