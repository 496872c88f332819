import Dispatch
import Foundation
import Glibc

/// The embedded SQLite store of one xapi-git home: members, integrations with sealed tokens, targets,
/// syncs and the audit log.
///
/// Each `Store` owns one SQLite connection and runs every transaction on its own serial queue. Use the
/// synchronous `read` and `write` from threads you own, and the `async` overloads from Swift tasks, so
/// that SQLite's blocking calls (which wait up to the busy timeout for another process) never run on the
/// cooperative thread pool. Several processes can open the same home. Write transactions begin with
/// `BEGIN IMMEDIATE`, so they run one after another.
public final class Store: @unchecked Sendable {
    // @unchecked Sendable: `connection` and `key` are only read or changed on `queue`.

    /// How long a transaction waits for another process's write lock before it fails.
    public static let defaultBusyTimeout: Duration = .seconds(5)

    /// The directory given to `open`.
    public let home: String
    /// The database file, `<home>/store.db`.
    public let path: String

    private let connection: SQLiteConnection
    private var key: SealingKey
    private let queue: DispatchQueue
    private let queueMarker = DispatchSpecificKey<Bool>()

    private init(home: String, connection: SQLiteConnection, key: SealingKey) {
        self.home = home
        self.path = connection.path
        self.connection = connection
        self.key = key
        self.queue = DispatchQueue(label: "xapi-git.store")
        queue.setSpecific(key: queueMarker, value: true)
    }

    /// Opens `<home>/store.db`, creating the home directory (mode 0700) and the file (mode 0600) when
    /// missing, and migrates an older schema.
    ///
    /// The connection uses WAL journaling, foreign keys and secure delete (freed pages are zeroed, so an
    /// old sealed token does not linger in the file). The first open stores a check value sealed with
    /// `key`. Later opens verify it, so a wrong key fails here rather than at the first token read.
    ///
    /// - Throws: `StoreError` `.newerSchema` for a store written by a newer xapi-git, `.keyMismatch` when
    ///   `key` is not the store's key, `.sqlite` or `.fileSystem` when the file cannot be opened.
    public static func open(home: String, key: SealingKey, busyTimeout: Duration = defaultBusyTimeout) throws -> Store {
        try TokenSealing.requireSodium()
        let path = try StoreFiles.prepare(home: home)

        let connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
        try configure(connection)
        try Schema.migrate(connection)
        try KeyCheck.verifyOrCreate(connection, key: key)

        return Store(home: home, connection: connection, key: key)
    }

    private static func configure(_ connection: SQLiteConnection) throws {
        let mode = try connection.queryFirst("PRAGMA journal_mode = WAL") { $0.text(0) }
        guard mode?.lowercased() == "wal" else {
            throw StoreError(
                .sqlite,
                "could not switch the store \(connection.path) to WAL journaling (journal mode is "
                    + "\(mode ?? "unknown")); keep the home on a local file system"
            )
        }
        try connection.execute("PRAGMA foreign_keys = ON")
        try connection.execute("PRAGMA secure_delete = ON")
    }

    // MARK: - Transactions

    /// Runs `body` in a read transaction, which reads one consistent snapshot of the store.
    ///
    /// Inside `body`, use the reader rather than calling the store again. Blocks the calling thread.
    public func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try onQueue { try runRead(body) }
    }

    /// Runs `body` in a write transaction that commits when `body` returns and rolls back every change
    /// when it throws.
    ///
    /// The transaction begins with `BEGIN IMMEDIATE`, so it waits up to the busy timeout while another
    /// process writes. Inside `body`, use the writer rather than calling the store again. Blocks the calling
    /// thread.
    @discardableResult
    public func write<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        try onQueue { try runWrite(body) }
    }

    /// Runs `body` in a read transaction on the store's queue and resumes the task with its result.
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T) async throws -> T {
        try await onQueue { try self.runRead(body) }
    }

    /// Runs `body` in a write transaction on the store's queue and resumes the task with its result.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws -> T) async throws -> T {
        try await onQueue { try self.runWrite(body) }
    }

    /// Re-seals every token with `newKey` in one transaction; the store uses `newKey` from then on.
    ///
    /// Write the new key file (`SealingKey.write(to:)`) or update XAPI_GIT_KEY right after this returns.
    /// NOTE: if the process dies between the commit and saving the new key, the tokens are sealed with a
    /// key that exists nowhere else. Keep a copy of `newKey` (for example in `PATH.new`) until it is saved.
    ///
    /// - Throws: `.keyMismatch` when another process rotated the key since this store was opened, and
    ///   `.corruptData` when a sealed token does not open; nothing changes in either case.
    public func rotateKey(to newKey: SealingKey) throws {
        try onQueue {
            try connection.transaction(immediate: true) {
                let writer = StoreWriter(connection: connection, key: key)
                defer { writer.end() }
                try writer.resealTokens(with: newKey)
            }
            key = newKey
        }
    }

    /// Moves every page from the WAL file into the database file and truncates the WAL file.
    func checkpoint() throws {
        try onQueue {
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    private func runRead<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try connection.transaction(immediate: false) {
            let reader = StoreReader(connection: connection, key: key)
            defer { reader.end() }
            return try body(reader)
        }
    }

    private func runWrite<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        try connection.transaction(immediate: true) {
            let writer = StoreWriter(connection: connection, key: key)
            defer { writer.end() }
            return try body(writer)
        }
    }

    private func onQueue<T>(_ work: () throws -> T) throws -> T {
        try rejectNesting()
        return try queue.sync(execute: work)
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try rejectNesting()
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// Throws `.misuse` on the store's own queue, because a call from inside a transaction body would wait
    /// for that queue forever.
    private func rejectNesting() throws {
        guard DispatchQueue.getSpecific(key: queueMarker) == nil else {
            throw StoreError(
                .misuse,
                "a store call was made inside a read or write body of the same store \(path); use the reader or "
                    + "writer that the body received"
            )
        }
    }
}

/// The files of a store's home.
enum StoreFiles {
    /// Creates the home (mode 0700) and an empty store.db (mode 0600) when missing and returns the
    /// database path. SQLite gives the WAL and shared-memory files the database file's mode.
    static func prepare(home: String) throws -> String {
        do {
            try FileManager.default.createDirectory(
                atPath: home,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw StoreError(.fileSystem, "could not create the xapi-git home \(home): \(error)")
        }

        let path = (home as NSString).appendingPathComponent("store.db")
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw KeyFile.error("could not create or open the store \(path)", code: errno)
        }
        close(descriptor)
        return path
    }
}
