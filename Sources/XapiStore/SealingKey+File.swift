import Foundation
import Glibc

extension SealingKey {
    /// Reads the key file at `path`: base64 text of the key and a line end.
    ///
    /// - Throws: `StoreError` `.insecureKeyFile` when the file's mode grants any permission to group or
    ///   others, `.notFound` when it does not exist, `.invalidKey` when its text is not a key, and
    ///   `.fileSystem` for other read failures.
    public static func load(path: String) throws -> SealingKey {
        guard let key = try loadIfPresent(path: path) else {
            throw StoreError(
                .notFound,
                "the sealing key file \(path) does not exist; restore it from a backup or set XAPI_GIT_KEY to the "
                    + "key, because the tokens in the store cannot be opened without it"
            )
        }
        return key
    }

    /// Reads the key file at `path`, or creates it with a new random key when it does not exist.
    ///
    /// Missing parent directories are created with mode 0700. The new file is written to a temporary
    /// file opened with `O_CREAT | O_EXCL` and mode 0600, then linked into place with `link(2)`, which
    /// fails when the name exists. So the key file is never seen half written, and when two processes
    /// create it at once, both end up using the key of the one that linked first.
    public static func loadOrCreate(path: String) throws -> SealingKey {
        if let key = try loadIfPresent(path: path) {
            return key
        }

        try KeyFile.createParentDirectories(of: path)
        let key = try generate()
        let temporary = try KeyFile.writeTemporary(key.fileContents, beside: path)
        defer { unlink(temporary) }

        guard link(temporary, path) == 0 else {
            let code = errno
            if code == EEXIST {
                return try load(path: path)
            }
            throw KeyFile.error("could not create the sealing key file \(path)", code: code)
        }
        try KeyFile.syncDirectory(of: path)
        return key
    }

    /// Writes this key to `path`, atomically replacing any file there, with mode 0600.
    ///
    /// The key goes to a temporary file in the same directory first and is renamed over `path`, so a
    /// crash leaves either the old or the new key file, never a partial one.
    public func write(to path: String) throws {
        try KeyFile.createParentDirectories(of: path)
        let temporary = try KeyFile.writeTemporary(fileContents, beside: path)

        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw KeyFile.error("could not replace the sealing key file \(path)", code: code)
        }
        try KeyFile.syncDirectory(of: path)
    }

    private var fileContents: [UInt8] {
        Array((revealedBase64() + "\n").utf8)
    }

    private static func loadIfPresent(path: String) throws -> SealingKey? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT {
                return nil
            }
            throw KeyFile.error("could not open the sealing key file \(path)", code: code)
        }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw KeyFile.error("could not read the mode of the sealing key file \(path)", code: errno)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw StoreError(
                .fileSystem, "the sealing key path \(path) is not a regular file; point it at the key file")
        }
        let permissions = status.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw StoreError(
                .insecureKeyFile,
                "the sealing key file \(path) has mode \(String(permissions, radix: 8)), which lets group or others "
                    + "read it; run `chmod 600 \(path)` and check who may have copied it"
            )
        }

        let contents = try KeyFile.readAll(descriptor, path: path)
        return try SealingKey(base64: String(decoding: contents, as: UTF8.self), source: "the key file \(path)")
    }
}

/// File-system steps for key files, each returning or throwing a `StoreError` that names the path.
enum KeyFile {
    /// A key file is 45 bytes, so anything much larger is not a key file.
    private static let maximumSize = 4096

    static func error(_ what: String, code: Int32) -> StoreError {
        StoreError(.fileSystem, "\(what): \(String(cString: strerror(code)))")
    }

    static func createParentDirectories(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw StoreError(.fileSystem, "could not create the directory \(directory) for \(path): \(error)")
        }
    }

    /// Writes `contents` to a new file with mode 0600 beside `path` and returns the new file's path.
    static func writeTemporary(_ contents: [UInt8], beside path: String) throws -> String {
        let suffix = try TokenSealing.randomBytes(8).map { String(format: "%02x", $0) }.joined()
        let temporary = "\(path).tmp-\(getpid())-\(suffix)"

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw error("could not create the temporary key file \(temporary)", code: errno)
        }

        do {
            // The umask can only remove permissions, and fchmod makes sure the owner can read the file.
            guard fchmod(descriptor, 0o600) == 0 else {
                throw error("could not set mode 0600 on \(temporary)", code: errno)
            }
            try writeAll(contents, to: descriptor, path: temporary)
            guard fsync(descriptor) == 0 else {
                throw error("could not flush \(temporary) to disk", code: errno)
            }
            close(descriptor)
            return temporary
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
    }

    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw error("could not write \(path)", code: code)
            }
            offset += written
        }
    }

    static func readAll(_ descriptor: Int32, path: String) throws -> [UInt8] {
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw error("could not read \(path)", code: code)
            }
            if count == 0 {
                return contents
            }
            contents += buffer[..<count]
            guard contents.count <= maximumSize else {
                throw StoreError(
                    .invalidKey,
                    "the sealing key file \(path) is larger than \(maximumSize) bytes, so it is not a key file"
                )
            }
        }
    }

    /// Flushes the directory entry of `path`, so a new or renamed file survives a crash.
    static func syncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw error("could not open the directory of \(path)", code: errno)
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw error("could not flush the directory of \(path)", code: errno)
        }
    }
}
