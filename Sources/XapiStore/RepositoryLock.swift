import Foundation
import Glibc
import Synchronization
public import XapiCore

/// An exclusive lock across processes on one name, such as a repository, held with `flock(2)` on
/// `<home>/locks/<name>.lock`.
///
/// The kernel drops a flock when its holder exits, so a lock whose holder crashed is free again by
/// design. The holder writes its pid, host and start time into the file and clears them on release. A
/// record left in the file shows that the previous holder died while holding the lock, and the next
/// holder logs it at info as "recovered stale lock". Lock files are never deleted, because deleting one
/// while another process waits on it would let two processes hold "the same" lock.
public final class RepositoryLock: Sendable {
    /// The name given to `acquire`.
    public let name: String
    /// The lock file.
    public let path: String

    /// The open lock file, or nil once released.
    private let descriptor: Mutex<Int32?>

    private init(name: String, path: String, descriptor: Int32) {
        self.name = name
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit {
        release()
    }

    /// Takes the lock named `name`, waiting up to `timeout` while another process or another
    /// `RepositoryLock` holds it. Blocks the calling thread, so call the `async` overload from Swift tasks.
    ///
    /// - Throws: `StoreError` `.lockTimeout` naming the holder's pid when the wait exceeds `timeout`,
    ///   `.fileSystem` when the lock file cannot be created or locked.
    public static func acquire(home: String, name: String, timeout: Duration, log: Log) throws -> RepositoryLock {
        let directory = (home as NSString).appendingPathComponent("locks")
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw StoreError(.fileSystem, "could not create the lock directory \(directory): \(error)")
        }

        let path = (directory as NSString).appendingPathComponent(LockHolder.fileName(for: name))
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw KeyFile.error("could not open the lock file \(path)", code: errno)
        }

        do {
            try waitForLock(descriptor, name: name, path: path, timeout: timeout)
            try takeOver(descriptor, name: name, path: path, log: log)
        } catch {
            close(descriptor)
            throw error
        }

        log.debug("acquired repository lock", ["lock": name, "pid": String(getpid())])
        return RepositoryLock(name: name, path: path, descriptor: descriptor)
    }

    /// Takes the lock like the synchronous `acquire`, but waits on a new thread of its own, so no thread of
    /// the Swift concurrency pool is blocked while another holder keeps the lock.
    public static func acquire(home: String, name: String, timeout: Duration, log: Log) async throws
        -> RepositoryLock
    {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try acquire(home: home, name: name, timeout: timeout, log: log) })
            }
            thread.name = "xapi-git.repository-lock"
            thread.start()
        }
    }

    /// Clears the holder record and releases the lock. Calling it again does nothing.
    public func release() {
        descriptor.withLock { descriptor in
            guard let open = descriptor else { return }
            // An empty file shows the next holder that this one released the lock normally.
            _ = ftruncate(open, 0)
            _ = flock(open, LOCK_UN)
            close(open)
            descriptor = nil
        }
    }

    /// Polls `flock(LOCK_EX | LOCK_NB)` until it succeeds or `timeout` passes.
    ///
    /// Polling rather than a blocking `flock` keeps the wait bounded. The delay doubles from 10 ms up to
    /// 200 ms, so a freed lock is taken within about 200 ms.
    private static func waitForLock(_ descriptor: Int32, name: String, path: String, timeout: Duration) throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var delay = Duration.milliseconds(10)

        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR {
                continue
            }
            guard code == EWOULDBLOCK else {
                throw KeyFile.error("could not lock \(path)", code: code)
            }

            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw timeoutError(name: name, path: path, timeout: timeout, holder: LockHolder.read(descriptor))
            }
            let pause = min(delay, remaining)
            usleep(UInt32(clamping: pause.wholeMilliseconds * 1000))
            delay = min(delay * 2, .milliseconds(200))
        }
    }

    /// Logs a record left by a holder that died, then writes this process's record.
    private static func takeOver(_ descriptor: Int32, name: String, path: String, log: Log) throws {
        if let previous = LockHolder.read(descriptor) {
            log.info(
                "recovered stale lock",
                [
                    "lock": name,
                    "previous_pid": String(previous.pid),
                    "previous_host": previous.host,
                    "previous_pid_running": previous.isRunning.map { $0 ? "yes" : "no" } ?? "unknown (other host)",
                ]
            )
        }

        let record = LockHolder(pid: getpid(), host: LockHolder.currentHost(), acquiredAt: Date())
        let bytes = Array(record.fileText.utf8)
        guard ftruncate(descriptor, 0) == 0 else {
            throw KeyFile.error("could not clear the lock file \(path)", code: errno)
        }
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else {
            throw KeyFile.error("could not write the holder record to \(path)", code: errno)
        }
    }

    private static func timeoutError(name: String, path: String, timeout: Duration, holder: LockHolder?) -> StoreError {
        let seconds = Double(timeout.wholeMilliseconds) / 1000
        guard let holder else {
            return StoreError(
                .lockTimeout,
                "timed out after \(seconds) s waiting for the lock '\(name)' (\(path)); its holder wrote no record, "
                    + "so find it with `fuser \(path)` and wait for it to finish"
            )
        }
        let since = ISO8601DateFormatter().string(from: holder.acquiredAt)
        return StoreError(
            .lockTimeout,
            "timed out after \(seconds) s waiting for the lock '\(name)' (\(path)), held by process \(holder.pid) on "
                + "\(holder.host) since \(since); wait for it to finish, or stop process \(holder.pid) if it hangs"
        )
    }
}

/// The record a lock holder writes into the lock file: pid, host and acquisition time, one per line.
struct LockHolder {
    let pid: Int32
    let host: String
    let acquiredAt: Date

    var fileText: String {
        "\(pid)\n\(host)\n\(acquiredAt.timeIntervalSince1970)\n"
    }

    /// Whether the holder process still exists, or nil when it ran on another host.
    var isRunning: Bool? {
        guard host == Self.currentHost() else { return nil }
        // kill(pid, 0) only checks that the process exists. EPERM means it exists under another user.
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Reads the record in the lock file, or nil when the file is empty or holds no valid record.
    static func read(_ descriptor: Int32) -> LockHolder? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }

        let lines = String(decoding: buffer[..<count], as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, let pid = Int32(lines[0]), pid > 0, let time = Double(lines[2]) else { return nil }
        return LockHolder(pid: pid, host: String(lines[1]), acquiredAt: Date(timeIntervalSince1970: time))
    }

    static func currentHost() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "unknown-host" }
        let bytes = name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Builds the lock file name for `name`. Letters, digits, '.', '_' and '-' are kept and other characters
    /// become '_', up to 80 of them. A hash of the whole name follows, so "a/b" and "a_b" get different files.
    static func fileName(for name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        let readable = String(name.map { allowed.contains($0) ? $0 : "_" }.prefix(80))

        // 64-bit FNV-1a: stable across processes and Swift versions, unlike Hasher.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let suffix = String(hash, radix: 16)
        return "\(readable)-\(String(repeating: "0", count: 16 - suffix.count))\(suffix).lock"
    }
}
