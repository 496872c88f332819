import CCurl
import Foundation
import Synchronization

/// A transfer handed to the multi loop, with the continuation that receives its outcome.
struct QueuedTransfer: Sendable {
    var request: TransferRequest
    var cancellation: CancellationFlag
    var continuation: CheckedContinuation<TransferOutcome, Never>
}

/// One libcurl multi handle (`CURLM *`) driven by one dedicated thread, which runs many transfers at once.
///
/// `enqueue` may be called from any thread: it appends to a locked queue and wakes the thread with
/// `curl_multi_wakeup`. The thread alone touches the multi handle and the easy handles: it starts queued
/// transfers while the caps allow, calls `curl_multi_perform` and `curl_multi_poll`, and resumes each
/// transfer's continuation when libcurl reports it done. Easy handles are recycled, so their TLS sessions
/// and the multi handle's connection cache serve later transfers.
///
/// `@unchecked Sendable` is sound because the fields other threads reach are the `Mutex` and the multi
/// pointer for `curl_multi_wakeup`, which libcurl documents as callable from any thread.
final class MultiLoop: @unchecked Sendable {
    /// State that other threads share with the loop thread.
    private struct Shared {
        var queue: [QueuedTransfer] = []
        var stopping = false
    }

    /// A transfer that runs on an easy handle added to the multi handle.
    private struct Running {
        var easy: EasyHandle
        var transfer: QueuedTransfer
        var origin: String
    }

    let maxConcurrentTransfers: Int
    let maxConnectionsPerHost: Int
    private let multi: UnsafeMutableRawPointer?
    private let shared = Mutex(Shared())
    private let openedConnections = Atomic<Int>(0)

    // Loop-thread state: read and written only by `run`.
    private var waiting: [QueuedTransfer] = []
    private var running: [UnsafeMutableRawPointer: Running] = [:]
    private var runningPerOrigin: [String: Int] = [:]
    private var idleHandles: [EasyHandle] = []

    /// Creates the multi handle and starts the loop thread.
    ///
    /// - Parameters:
    ///   - maxConcurrentTransfers: transfers running at once; more wait in arrival order.
    ///   - maxConnectionsPerHost: transfers running at once to one origin (scheme, host and port), also
    ///     given to libcurl as `CURLMOPT_MAX_HOST_CONNECTIONS`.
    init(maxConcurrentTransfers: Int, maxConnectionsPerHost: Int, label: String) {
        self.maxConcurrentTransfers = max(1, maxConcurrentTransfers)
        self.maxConnectionsPerHost = max(1, maxConnectionsPerHost)
        self.multi = curlGlobalInitResult == CURLE_OK ? curl_multi_init() : nil

        if let multi {
            // HTTP/2 servers get one connection per host with streams multiplexed over it; HTTP/1.1
            // servers get kept-alive connections, as many as the caps allow.
            _ = xapi_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
            _ = xapi_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, self.maxConnectionsPerHost)
            _ = xapi_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, self.maxConcurrentTransfers)
            _ = xapi_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, self.maxConcurrentTransfers)
        }

        let thread = Thread { [self] in run() }
        thread.name = label
        thread.start()
    }

    deinit {
        if let multi {
            curl_multi_cleanup(multi)
        }
    }

    /// Connections libcurl opened for completed transfers (`CURLINFO_NUM_CONNECTS`, summed).
    var connectionsOpened: Int { openedConnections.load(ordering: .relaxed) }

    /// Queues `transfer` and wakes the loop thread.
    func enqueue(_ transfer: QueuedTransfer) {
        guard multi != nil else {
            transfer.continuation.resume(returning: .failed(Self.initFailure(transfer.request)))
            return
        }
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.stopping else { return false }
            shared.queue.append(transfer)
            return true
        }
        guard accepted else {
            transfer.continuation.resume(returning: .failed(Self.stoppedFailure(transfer.request)))
            return
        }
        wake()
    }

    /// Wakes the loop thread so that it notices a new transfer, a cancellation or a stop.
    func wake() {
        if let multi {
            _ = curl_multi_wakeup(multi)
        }
    }

    /// Ends the loop thread once it wakes; transfers still queued or running fail.
    func stop() {
        shared.withLock { $0.stopping = true }
        wake()
    }

    // MARK: - Loop thread

    private func run() {
        guard let multi else {
            failEverything(stoppedOnly: false)
            return
        }

        while true {
            let (incoming, stopping) = shared.withLock { shared -> ([QueuedTransfer], Bool) in
                defer { shared.queue.removeAll(keepingCapacity: true) }
                return (shared.queue, shared.stopping)
            }
            waiting += incoming
            if stopping {
                break
            }

            failCancelledWaiting()
            abortCancelledRunning(multi)
            startWaiting(multi)

            var stillRunning: Int32 = 0
            _ = curl_multi_perform(multi, &stillRunning)
            collectFinished(multi)
            startWaiting(multi)

            // curl_multi_poll returns early on socket activity, on libcurl's own timers and on
            // curl_multi_wakeup; the timeout only bounds an idle wait.
            let idleWaitMilliseconds: Int32 = running.isEmpty ? 5_000 : 1_000
            _ = curl_multi_poll(multi, nil, 0, idleWaitMilliseconds, nil)
        }

        for (pointer, entry) in running {
            _ = curl_multi_remove_handle(multi, pointer)
            entry.transfer.cancellation.raise()
            let outcome = entry.easy.finish(
                CURLE_ABORTED_BY_CALLBACK,
                request: entry.transfer.request,
                cancellation: entry.transfer.cancellation
            )
            entry.transfer.continuation.resume(returning: outcome)
        }
        running.removeAll()
        failEverything(stoppedOnly: true)
        idleHandles.removeAll()
    }

    /// Starts waiting transfers, oldest first, while the total and per-origin caps leave room.
    private func startWaiting(_ multi: UnsafeMutableRawPointer) {
        guard !waiting.isEmpty, running.count < maxConcurrentTransfers else { return }

        var kept: [QueuedTransfer] = []
        for transfer in waiting {
            let origin = transfer.request.url.origin
            let originCount = runningPerOrigin[origin, default: 0]
            guard running.count < maxConcurrentTransfers, originCount < maxConnectionsPerHost else {
                kept.append(transfer)
                continue
            }
            start(transfer, origin: origin, multi: multi)
        }
        waiting = kept
    }

    private func start(_ transfer: QueuedTransfer, origin: String, multi: UnsafeMutableRawPointer) {
        guard let easy = takeHandle() else {
            transfer.continuation.resume(returning: .failed(Self.initFailure(transfer.request)))
            return
        }
        if let failure = easy.prepare(transfer.request, cancellation: transfer.cancellation) {
            idleHandles.append(easy)
            transfer.continuation.resume(returning: .failed(failure))
            return
        }
        // Wait for an HTTP/2 connection being set up to the same host instead of opening another one.
        _ = xapi_curl_easy_setopt_long(easy.curlHandle, CURLOPT_PIPEWAIT, 1)

        let added = curl_multi_add_handle(multi, easy.curlHandle)
        guard added == CURLM_OK else {
            let outcome = easy.finish(CURLE_FAILED_INIT, request: transfer.request, cancellation: transfer.cancellation)
            idleHandles.append(easy)
            transfer.continuation.resume(returning: outcome)
            return
        }
        running[easy.curlHandle] = Running(easy: easy, transfer: transfer, origin: origin)
        runningPerOrigin[origin, default: 0] += 1
    }

    /// Reads libcurl's completion messages and resumes the finished transfers' callers.
    private func collectFinished(_ multi: UnsafeMutableRawPointer) {
        var messagesLeft: Int32 = 0
        while let message = curl_multi_info_read(multi, &messagesLeft) {
            guard message.pointee.msg == CURLMSG_DONE, let pointer = message.pointee.easy_handle else { continue }
            // The message belongs to libcurl and is gone after curl_multi_remove_handle, so read it first.
            let result = message.pointee.data.result
            complete(pointer, result: result, multi: multi)
        }
    }

    /// Removes a running transfer from the multi handle and hands its outcome to the caller.
    private func complete(_ pointer: UnsafeMutableRawPointer, result: CURLcode, multi: UnsafeMutableRawPointer) {
        guard let entry = running.removeValue(forKey: pointer) else { return }
        _ = curl_multi_remove_handle(multi, pointer)
        runningPerOrigin[entry.origin, default: 1] -= 1
        if runningPerOrigin[entry.origin] == 0 {
            runningPerOrigin[entry.origin] = nil
        }

        let outcome = entry.easy.finish(result, request: entry.transfer.request, cancellation: entry.transfer.cancellation)
        if case .completed(let response) = outcome {
            openedConnections.add(response.newConnections, ordering: .relaxed)
        }
        idleHandles.append(entry.easy)
        entry.transfer.continuation.resume(returning: outcome)
    }

    /// Ends running transfers whose task was cancelled, without waiting for libcurl's progress callback.
    private func abortCancelledRunning(_ multi: UnsafeMutableRawPointer) {
        let cancelled = running.filter { $0.value.transfer.cancellation.isRaised }.map(\.key)
        for pointer in cancelled {
            complete(pointer, result: CURLE_ABORTED_BY_CALLBACK, multi: multi)
        }
    }

    private func failCancelledWaiting() {
        guard waiting.contains(where: { $0.cancellation.isRaised }) else { return }
        var kept: [QueuedTransfer] = []
        for transfer in waiting {
            if transfer.cancellation.isRaised {
                transfer.continuation.resume(returning: .failed(Self.cancelledFailure(transfer.request)))
            } else {
                kept.append(transfer)
            }
        }
        waiting = kept
    }

    /// Fails every waiting and queued transfer, after a stop or when the multi handle does not exist.
    private func failEverything(stoppedOnly: Bool) {
        let queued = shared.withLock { shared -> [QueuedTransfer] in
            shared.stopping = true
            defer { shared.queue.removeAll() }
            return shared.queue
        }
        for transfer in waiting + queued {
            let failure = stoppedOnly ? Self.stoppedFailure(transfer.request) : Self.initFailure(transfer.request)
            transfer.continuation.resume(returning: .failed(failure))
        }
        waiting.removeAll()
    }

    private func takeHandle() -> EasyHandle? {
        if let handle = idleHandles.popLast() {
            return handle
        }
        return EasyHandle()
    }

    // MARK: - Failures without a transfer

    private static func failure(_ request: TransferRequest, code: CURLcode, detail: String, cancelled: Bool)
        -> TransferFailure
    {
        TransferFailure(
            curlCode: Int(code.rawValue),
            detail: detail,
            proxyConnectStatus: 0,
            connectionEstablished: false,
            exceededLimit: nil,
            maxBodyBytes: request.maxBodyBytes,
            cancelled: cancelled,
            connectTimeoutMilliseconds: request.connectTimeoutMilliseconds,
            totalTimeoutMilliseconds: request.totalTimeoutMilliseconds
        )
    }

    private static func initFailure(_ request: TransferRequest) -> TransferFailure {
        failure(
            request,
            code: CURLE_FAILED_INIT,
            detail: "libcurl could not initialise or allocate a multi or easy handle",
            cancelled: false
        )
    }

    private static func stoppedFailure(_ request: TransferRequest) -> TransferFailure {
        failure(
            request,
            code: CURLE_ABORTED_BY_CALLBACK,
            detail: "the client was shut down before the transfer finished",
            cancelled: false
        )
    }

    private static func cancelledFailure(_ request: TransferRequest) -> TransferFailure {
        failure(request, code: CURLE_ABORTED_BY_CALLBACK, detail: "the request was cancelled", cancelled: true)
    }
}
