import Foundation
import Glibc
import Testing
import XapiCore
import XapiStore

@Suite struct RepositoryLockTests {
    @Test func secondHolderInSameProcessTimesOut() throws {
        try withTemporaryHome { home in
            let first = try RepositoryLock.acquire(
                home: home.path, name: "github/acme/api", timeout: .seconds(1), log: .silent)

            let begin = ContinuousClock.now
            let error = #expect(throws: StoreError.self) {
                _ = try RepositoryLock.acquire(
                    home: home.path, name: "github/acme/api", timeout: .milliseconds(300), log: .silent)
            }
            let waited = ContinuousClock.now - begin
            #expect(error?.kind == .lockTimeout)
            #expect(error?.message.contains("process \(getpid())") == true)
            #expect(waited >= .milliseconds(300))

            first.release()
            let second = try RepositoryLock.acquire(
                home: home.path, name: "github/acme/api", timeout: .seconds(1), log: .silent)
            second.release()
        }
    }

    @Test func differentNamesDoNotExclude() throws {
        try withTemporaryHome { home in
            let first = try RepositoryLock.acquire(
                home: home.path, name: "github/acme/api", timeout: .seconds(1), log: .silent)
            let second = try RepositoryLock.acquire(
                home: home.path, name: "github/acme_api", timeout: .seconds(1), log: .silent)

            #expect(first.path != second.path)
            #expect(first.path.hasPrefix(home.file("locks/")))
            first.release()
            second.release()
        }
    }

    @Test func releaseClearsHolderRecord() throws {
        try withTemporaryHome { home in
            let recorder = LogRecorder()
            let lock = try RepositoryLock.acquire(
                home: home.path, name: "docs", timeout: .seconds(1), log: recorder.log)
            let record = try String(contentsOfFile: lock.path, encoding: .utf8)
            #expect(record.hasPrefix("\(getpid())\n"))

            lock.release()
            lock.release()
            #expect(try String(contentsOfFile: lock.path, encoding: .utf8).isEmpty)

            let again = try RepositoryLock.acquire(
                home: home.path, name: "docs", timeout: .seconds(1), log: recorder.log)
            again.release()
            #expect(!recorder.recorded.contains { $0.message == "recovered stale lock" })
        }
    }

    @Test func excludesProcessThenRecoversStaleLock() throws {
        try withTemporaryHome { home in
            let name = "gitlab/group/sub/project"
            let probe = try RepositoryLock.acquire(home: home.path, name: name, timeout: .seconds(1), log: .silent)
            let path = probe.path

            // While this process holds the lock, the flock command of another process cannot take it.
            #expect(try runFlock(["-n", path, "true"]) == 1)
            probe.release()
            #expect(try runFlock(["-n", path, "true"]) == 0)

            // A child takes the lock with flock(1), writes a holder record as xapi-git does, and waits.
            let child = try startHolder(lockFile: path, writesRecord: true)
            defer {
                if child.isRunning {
                    kill(child.processIdentifier, SIGKILL)
                    child.waitUntilExit()
                }
            }
            try waitForHolderRecord(path, pid: child.processIdentifier)

            let error = #expect(throws: StoreError.self) {
                _ = try RepositoryLock.acquire(home: home.path, name: name, timeout: .milliseconds(300), log: .silent)
            }
            #expect(error?.kind == .lockTimeout)
            #expect(error?.message.contains("process \(child.processIdentifier)") == true)

            // The child dies without releasing; the kernel drops its flock and its record stays behind.
            #expect(kill(child.processIdentifier, SIGKILL) == 0)
            child.waitUntilExit()

            let recorder = LogRecorder()
            let recovered = try RepositoryLock.acquire(
                home: home.path, name: name, timeout: .seconds(2), log: recorder.log)
            defer { recovered.release() }

            let stale = recorder.recorded.first { $0.message == "recovered stale lock" }
            #expect(stale?.level == .info)
            #expect(stale?.metadata["previous_pid"] == String(child.processIdentifier))
            #expect(stale?.metadata["previous_pid_running"] == "no")
            #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("\(getpid())\n"))
        }
    }

    @Test func holderWithoutRecordIsReportedInTimeout() throws {
        try withTemporaryHome { home in
            let probe = try RepositoryLock.acquire(home: home.path, name: "docs", timeout: .seconds(1), log: .silent)
            let path = probe.path
            probe.release()

            // The child locks the file with flock(1) and writes no holder record.
            let child = try startHolder(lockFile: path, writesRecord: false)
            defer {
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
            }
            try waitUntil { try runFlock(["-n", path, "true"]) == 1 }

            let error = #expect(throws: StoreError.self) {
                _ = try RepositoryLock.acquire(home: home.path, name: "docs", timeout: .milliseconds(200), log: .silent)
            }
            #expect(error?.kind == .lockTimeout)
            #expect(error?.message.contains("wrote no record") == true)
        }
    }

    @Test func asyncAcquireWaitsForRelease() async throws {
        try await withTemporaryHome { home in
            let first = try await RepositoryLock.acquire(
                home: home.path, name: "docs", timeout: .seconds(1), log: .silent)
            Thread {
                usleep(200_000)
                first.release()
            }.start()

            let begin = ContinuousClock.now
            let second = try await RepositoryLock.acquire(
                home: home.path, name: "docs", timeout: .seconds(5), log: .silent)
            #expect(ContinuousClock.now - begin >= .milliseconds(150))
            second.release()
        }
    }

    /// Runs /usr/bin/flock with `arguments` and returns its exit status.
    private func runFlock(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Starts a shell that locks `lockFile` with flock(1), optionally writes a holder record as xapi-git
    /// does, and then sleeps. `exec` keeps the shell's pid for the sleep, so the pid is the lock holder's.
    private func startHolder(lockFile: String, writesRecord: Bool) throws -> Process {
        let record = #"printf '%s\n%s\n%s\n' "$$" "$(hostname)" "$(date +%s)" > "$1""#
        let script = """
            exec 9>>"$1" || exit 2
            flock -x 9 || exit 3
            \(writesRecord ? record : ":")
            exec sleep 60
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "holder", lockFile]
        try process.run()
        return process
    }

    private func waitForHolderRecord(_ path: String, pid: Int32) throws {
        try waitUntil {
            (try? String(contentsOfFile: path, encoding: .utf8))?.hasPrefix("\(pid)\n") == true
        }
    }

    private func waitUntil(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            try #require(ContinuousClock.now < deadline, "condition not met within \(timeout)")
            usleep(20_000)
        }
    }
}
