import Foundation
import XapiCore

/// A JSON value decoded without a schema, so that adapters can read the few fields they need and report a
/// missing or mistyped field by name instead of failing on the whole body.
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The JSON type name, for messages about a field of the wrong type.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A decoded API response body with the request it belongs to, for field errors that name both.
///
/// Every accessor throws `VerificationStop` with status `unexpectedResponse`, so a server that changes a
/// field's type produces a clear report instead of a crash.
struct JSONDocument {
    let root: JSONValue
    /// The platform and request, such as "GitHub's response to GET /user".
    let source: String

    init(body: [UInt8], source: String) throws(VerificationStop) {
        self.source = source
        do {
            self.root = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            let excerpt = Self.excerpt(body)
            throw VerificationStop(
                status: .unexpectedResponse,
                detail: "\(source) is not valid JSON (it starts with `\(excerpt)`); check that the base URL points "
                    + "at the platform's server and not at a proxy or login page."
            )
        }
    }

    init(root: JSONValue, source: String) {
        self.root = root
        self.source = source
    }

    /// Returns the value at `path` (object keys from the root), or nil when a key is absent or the value is null.
    func value(_ path: [String]) throws(VerificationStop) -> JSONValue? {
        var current = root
        for (position, key) in path.enumerated() {
            guard case .object(let fields) = current else {
                let parent = path[..<position].joined(separator: ".")
                throw mistyped(parent.isEmpty ? "(the body)" : parent, expected: "an object", found: current)
            }
            guard let next = fields[key], !next.isNull else { return nil }
            current = next
        }
        return current
    }

    func optionalString(_ path: String...) throws(VerificationStop) -> String? {
        guard let found = try value(path) else { return nil }
        guard case .string(let text) = found else {
            throw mistyped(path.joined(separator: "."), expected: "a string", found: found)
        }
        return text
    }

    func string(_ path: String...) throws(VerificationStop) -> String {
        guard let found = try value(path) else { throw absent(path.joined(separator: "."), expected: "a string") }
        guard case .string(let text) = found else {
            throw mistyped(path.joined(separator: "."), expected: "a string", found: found)
        }
        return text
    }

    func optionalBool(_ path: String...) throws(VerificationStop) -> Bool? {
        guard let found = try value(path) else { return nil }
        guard case .bool(let flag) = found else {
            throw mistyped(path.joined(separator: "."), expected: "a boolean", found: found)
        }
        return flag
    }

    func bool(_ path: String...) throws(VerificationStop) -> Bool {
        guard let found = try value(path) else { throw absent(path.joined(separator: "."), expected: "a boolean") }
        guard case .bool(let flag) = found else {
            throw mistyped(path.joined(separator: "."), expected: "a boolean", found: found)
        }
        return flag
    }

    func optionalInteger(_ path: String...) throws(VerificationStop) -> Int? {
        guard let found = try value(path) else { return nil }
        guard case .number(let number) = found, let integer = Int(exactly: number) else {
            throw mistyped(path.joined(separator: "."), expected: "an integer", found: found)
        }
        return integer
    }

    func integer(_ path: String...) throws(VerificationStop) -> Int {
        guard let found = try value(path) else { throw absent(path.joined(separator: "."), expected: "an integer") }
        guard case .number(let number) = found, let integer = Int(exactly: number) else {
            throw mistyped(path.joined(separator: "."), expected: "an integer", found: found)
        }
        return integer
    }

    /// Returns the array at `path` as documents of their own, or an empty array for an absent or null field.
    func array(_ path: String...) throws(VerificationStop) -> [JSONDocument] {
        guard let found = try value(path) else { return [] }
        guard case .array(let elements) = found else {
            throw mistyped(path.joined(separator: "."), expected: "an array", found: found)
        }
        return elements.map { JSONDocument(root: $0, source: source) }
    }

    /// Returns the array of strings at `path`, or an empty array for an absent or null field.
    func strings(_ path: String...) throws(VerificationStop) -> [String] {
        guard let found = try value(path) else { return [] }
        guard case .array(let elements) = found else {
            throw mistyped(path.joined(separator: "."), expected: "an array of strings", found: found)
        }
        var texts: [String] = []
        for element in elements {
            guard case .string(let text) = element else {
                throw mistyped(path.joined(separator: "."), expected: "an array of strings", found: element)
            }
            texts.append(text)
        }
        return texts
    }

    private func absent(_ field: String, expected: String) -> VerificationStop {
        VerificationStop(
            status: .unexpectedResponse,
            detail: "\(source) lacks the field `\(field)` (expected \(expected)); the server may run an "
                + "unsupported version."
        )
    }

    private func mistyped(_ field: String, expected: String, found: JSONValue) -> VerificationStop {
        VerificationStop(
            status: .unexpectedResponse,
            detail: "\(source) has \(found.typeName) in the field `\(field)` where \(expected) belongs; the server "
                + "may run an unsupported version."
        )
    }

    /// Returns the first bytes of a body as printable text, for messages about bodies that are not JSON.
    static func excerpt(_ bytes: [UInt8], maxCharacters: Int = 60) -> String {
        let text = String(decoding: bytes.prefix(maxCharacters * 4), as: UTF8.self)
        let printable = text.unicodeScalars.map { scalar in
            scalar.properties.isWhitespace || scalar.value < 0x20 ? " " : String(scalar)
        }.joined()
        let shortened = printable.trimmingWhitespaceAndNewlines()
        return shortened.count > maxCharacters ? String(shortened.prefix(maxCharacters)) + "…" : shortened
    }
}

extension JSONValue {
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
