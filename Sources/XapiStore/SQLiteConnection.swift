import CSQLite
import XapiCore

/// A value bound to a statement parameter.
enum SQLiteValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One open connection to an SQLite database file.
///
/// The connection is not thread-safe: `Store` only touches it from its own serial queue. Every SQLite
/// call goes through `check`, which turns a failing result code into a `StoreError` that names the file.
final class SQLiteConnection {
    let path: String
    private let handle: OpaquePointer

    /// Opens (creating if needed) the database at `path` with extended result codes and a busy timeout.
    init(path: String, busyTimeout: Duration) throws {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard let opened else {
            throw StoreError(.sqlite, "could not open the store \(path): SQLite could not allocate a connection")
        }
        guard code == SQLITE_OK else {
            let reason = String(cString: sqlite3_errmsg(opened))
            sqlite3_close_v2(opened)
            throw StoreError(
                .sqlite,
                "could not open the store \(path): \(reason) (SQLite code \(code)); check that the directory exists "
                    + "and that this user may write to it"
            )
        }
        self.handle = opened
        self.path = path

        sqlite3_extended_result_codes(handle, 1)
        let milliseconds = Int32(clamping: busyTimeout.wholeMilliseconds)
        try check(sqlite3_busy_timeout(handle, milliseconds), "sqlite3_busy_timeout")
    }

    deinit {
        // sqlite3_close_v2 defers the close until the last statement is finalized. Statements keep
        // this object alive, so none are left at this point.
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements that take no parameters and return no rows that matter.
    func execute(_ sql: String) throws {
        var errorText: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorText)
        defer { sqlite3_free(errorText) }
        try check(code, "sqlite3_exec", detail: errorText.map { String(cString: $0) })
    }

    /// Runs one statement with `values` bound to its parameters, ignoring any rows.
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws {
        let statement = try SQLiteStatement(connection: self, sql: sql)
        try statement.bind(values)
        while try statement.step() {}
    }

    /// Runs one statement and maps each result row with `transform`.
    func query<T>(_ sql: String, _ values: [SQLiteValue] = [], _ transform: (SQLiteRow) throws -> T) throws -> [T] {
        let statement = try SQLiteStatement(connection: self, sql: sql)
        try statement.bind(values)

        var results: [T] = []
        while try statement.step() {
            results.append(try transform(SQLiteRow(statement: statement)))
        }
        return results
    }

    /// Runs one statement and maps its first result row, or returns nil when there is none.
    func queryFirst<T>(_ sql: String, _ values: [SQLiteValue] = [], _ transform: (SQLiteRow) throws -> T) throws
        -> T?
    {
        let statement = try SQLiteStatement(connection: self, sql: sql)
        try statement.bind(values)
        guard try statement.step() else { return nil }
        return try transform(SQLiteRow(statement: statement))
    }

    /// The rowid of the last row inserted on this connection.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The number of rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` in a transaction and commits it, or rolls it back when `body` or the commit throws.
    ///
    /// `immediate` takes the write lock at BEGIN, so concurrent writers from other processes wait for
    /// each other (up to the busy timeout) instead of failing when they upgrade a read transaction.
    func transaction<T>(immediate: Bool, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            rollbackIfOpen()
            throw error
        }
    }

    private func rollbackIfOpen() {
        // SQLite rolls some failures back by itself (SQLITE_FULL, SQLITE_IOERR), and a second ROLLBACK
        // would then fail, so roll back only a transaction that is still open.
        guard sqlite3_get_autocommit(handle) == 0 else { return }
        sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
    }

    /// Throws a `StoreError` for any result code other than OK, ROW and DONE.
    func check(_ code: Int32, _ function: String, detail: String? = nil) throws {
        guard code != SQLITE_OK, code != SQLITE_ROW, code != SQLITE_DONE else { return }

        let reason = detail ?? String(cString: sqlite3_errmsg(handle))
        switch code & 0xFF {
        case SQLITE_BUSY:
            throw StoreError(
                .sqlite,
                "the store \(path) is locked by another xapi-git process for longer than the busy timeout; "
                    + "try again when that process has finished"
            )
        case SQLITE_CONSTRAINT:
            throw StoreError(.constraint, "a change to the store \(path) violates a constraint: \(reason)")
        default:
            throw StoreError(.sqlite, "SQLite failed in \(function) on the store \(path): \(reason) (code \(code))")
        }
    }

    fileprivate func prepare(_ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        try check(code, "sqlite3_prepare_v2")
        guard let statement else {
            throw StoreError(.sqlite, "SQLite returned no statement for SQL text without a statement: \(sql)")
        }
        return statement
    }
}

/// A prepared statement, finalized when released.
final class SQLiteStatement {
    private let connection: SQLiteConnection
    fileprivate let handle: OpaquePointer

    init(connection: SQLiteConnection, sql: String) throws {
        self.connection = connection
        self.handle = try connection.prepare(sql)
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds `values` to the parameters `?1`, `?2`, … in order. Text and blobs are copied by SQLite.
    func bind(_ values: [SQLiteValue]) throws {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(handle, index)
            case .integer(let number):
                code = sqlite3_bind_int64(handle, index, number)
            case .real(let number):
                code = sqlite3_bind_double(handle, index, number)
            case .text(let text):
                let length = Int32(text.utf8.count)
                code = text.withCString { csqlite_bind_text_transient(handle, index, $0, length) }
            case .blob(let bytes) where bytes.isEmpty:
                code = sqlite3_bind_zeroblob(handle, index, 0)
            case .blob(let bytes):
                code = bytes.withUnsafeBytes { buffer in
                    csqlite_bind_blob_transient(handle, index, buffer.baseAddress, Int32(buffer.count))
                }
            }
            try connection.check(code, "sqlite3_bind")
        }
    }

    /// Advances to the next row and returns false when the statement has finished.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        try connection.check(code, "sqlite3_step")
        return code == SQLITE_ROW
    }
}

/// The current row of a statement, read by column index. Valid only inside the `query` transform.
struct SQLiteRow {
    fileprivate let statement: SQLiteStatement

    private var handle: OpaquePointer { statement.handle }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func integer(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func optionalInteger(_ column: Int32) -> Int64? {
        isNull(column) ? nil : integer(column)
    }

    func real(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    func optionalReal(_ column: Int32) -> Double? {
        isNull(column) ? nil : real(column)
    }

    func text(_ column: Int32) -> String {
        guard let characters = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: characters, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? {
        isNull(column) ? nil : text(column)
    }

    func blob(_ column: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}
