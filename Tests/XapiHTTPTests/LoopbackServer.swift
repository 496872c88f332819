import Foundation
import Synchronization

/// A plain TCP server on 127.0.0.1 that responds to every connection with one fixed reply, for cases the lab
/// does not serve, such as a proxy that demands authentication.
///
/// It reads the request head (up to the blank line), records it, writes `reply` and closes the
/// connection. `stop()` ends the accept loop; the tests call it in a `defer`.
final class LoopbackServer: Sendable {
    let port: Int
    private let listener: Int32
    private let reply: [UInt8]
    private let heads = Mutex<[String]>([])

    struct SocketError: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    init(reply: String) throws {
        self.reply = Array(reply.utf8)
        (listener, port) = try Self.listen()
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Request heads received so far, in arrival order.
    var receivedHeads: [String] { heads.withLock { $0 } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Returns a port on 127.0.0.1 that nothing listens on right now.
    static func unusedPort() throws -> Int {
        let (descriptor, port) = try listen()
        close(descriptor)
        return port
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }

            var head: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !head.ends(with: Array("\r\n\r\n".utf8)), head.count < 65536 {
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { break }
                head.append(contentsOf: buffer[0..<count])
            }
            heads.withLock { $0.append(String(decoding: head, as: UTF8.self)) }

            // MSG_NOSIGNAL: a client that hangs up early must not raise SIGPIPE in the test process.
            _ = reply.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Opens a listening socket on 127.0.0.1 with a port chosen by the kernel.
    private static func listen() throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError(call: "socket", code: errno) }

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw SocketError(call: "bind", code: code)
        }
        guard Glibc.listen(descriptor, 16) == 0 else {
            let code = errno
            close(descriptor)
            throw SocketError(call: "listen", code: code)
        }

        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(descriptor)
            throw SocketError(call: "getsockname", code: code)
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
