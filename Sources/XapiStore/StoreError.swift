/// A failed store, sealing-key or repository-lock operation, with a message that names the value
/// involved and what to do next.
///
/// Messages never contain a token or key bytes.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The member, integration or target does not exist.
        case notFound
        /// A member, integration or target with that name or login exists already.
        case alreadyExists
        /// The change would break a rule of the data model, such as removing the last owner.
        case constraint
        /// A value given by the caller is invalid, such as an empty name or an unknown role.
        case invalidValue
        /// The sealing key in use is not the key the store's tokens are sealed with.
        case keyMismatch
        /// The key file grants permissions to group or others.
        case insecureKeyFile
        /// The key text is not base64 of 32 bytes.
        case invalidKey
        /// libsodium could not be initialised or failed to seal a token.
        case cryptography
        /// The store file was written by a newer xapi-git with a schema this version does not know.
        case newerSchema
        /// The store contains a value this version cannot read, such as an unknown state, or a sealed token
        /// that was altered or copied from another integration.
        case corruptData
        /// Another process held the repository lock for longer than the timeout.
        case lockTimeout
        /// A file or directory operation failed.
        case fileSystem
        /// SQLite reported an error, including a busy store after the busy timeout.
        case sqlite
        /// A store call was made inside a transaction body of the same store, or with a reader or
        /// writer whose transaction had ended.
        case misuse
    }

    public var kind: Kind
    /// A description of what failed, on which value, and what to do next.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
