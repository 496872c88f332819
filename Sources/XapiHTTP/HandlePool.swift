import CCurl
import Dispatch
import Synchronization

/// An easy handle confined to its own serial queue, so that its blocking transfers never run on Swift's
/// cooperative thread pool.
///
/// `@unchecked Sendable` is sound because `easy` is created, used and released only inside work items of
/// `queue`, which runs them one at a time. The pool also hands the whole object to one `send` at a time.
final class PooledHandle: @unchecked Sendable {
    private let queue: DispatchQueue
    /// Created on the first transfer, on `queue`; nil until then or when libcurl could not create it.
    private var easy: EasyHandle?

    init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    /// Runs one transfer on the handle's queue and suspends the caller until it finishes.
    func perform(_ request: TransferRequest, cancellation: CancellationFlag) async -> TransferOutcome {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.performOnQueue(request, cancellation: cancellation))
            }
        }
    }

    /// libcurl's built-in CA directory, read on the handle's queue.
    func builtInCAPath() async -> String? {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.easyHandle()?.builtInCAPath)
            }
        }
    }

    private func performOnQueue(_ request: TransferRequest, cancellation: CancellationFlag) -> TransferOutcome {
        guard let easy = easyHandle() else {
            return .failed(
                TransferFailure(
                    curlCode: Int(CURLE_FAILED_INIT.rawValue),
                    detail: "libcurl could not initialise or allocate an easy handle",
                    proxyConnectStatus: 0,
                    connectionEstablished: false,
                    exceededLimit: nil,
                    maxBodyBytes: request.maxBodyBytes,
                    cancelled: false,
                    connectTimeoutMilliseconds: request.connectTimeoutMilliseconds,
                    totalTimeoutMilliseconds: request.totalTimeoutMilliseconds
                )
            )
        }
        return easy.perform(request, cancellation: cancellation)
    }

    private func easyHandle() -> EasyHandle? {
        if easy == nil {
            easy = EasyHandle()
        }
        return easy
    }
}

/// A few easy handles shared by the concurrent `send` calls of one client.
///
/// Each handle keeps its own connection cache. The most recently released handle is handed out first,
/// so back-to-back requests reuse its warm connection. When every handle is busy, callers wait in
/// arrival order; a stalled server therefore holds up only one handle, not the whole client.
final class HandlePool: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<PooledHandle, any Error>
    }

    private struct State {
        var idle: [PooledHandle] = []
        var created = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        /// Callers whose task was cancelled before they could register as waiters.
        var cancelledIDs: Set<UInt64> = []
    }

    private enum Admission {
        case granted(PooledHandle)
        case cancelled
        case waiting
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Waits for a free handle; throws `CancellationError` when the task is cancelled while waiting.
    func acquire() async throws -> PooledHandle {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        defer {
            state.withLock { state in _ = state.cancelledIDs.remove(id) }
        }

        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let admission = state.withLock { state -> Admission in
                    if let handle = state.idle.popLast() {
                        return .granted(handle)
                    }
                    if state.created < capacity {
                        state.created += 1
                        return .granted(PooledHandle(label: "xapi-http.easy-handle-\(state.created)"))
                    }
                    if state.cancelledIDs.contains(id) {
                        return .cancelled
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .waiting
                }

                switch admission {
                case .granted(let handle):
                    continuation.resume(returning: handle)
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .waiting:
                    break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                    return state.waiters.remove(at: index)
                }
                state.cancelledIDs.insert(id)
                return nil
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns `handle` to the pool, or hands it straight to the longest-waiting caller.
    func release(_ handle: PooledHandle) {
        let waiter = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.idle.append(handle)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: handle)
    }
}
