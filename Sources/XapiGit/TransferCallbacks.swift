import CGit2

/// The state that libgit2's remote callbacks read and record during one fetch or push.
///
/// libgit2 receives it as an unretained `payload` pointer, so the owner keeps it alive with
/// `withExtendedLifetime` around the libgit2 call. It is used only on the mirror's thread.
final class TransferState {
    /// Maximum length of the server text (sideband) kept for error messages, in bytes.
    static let maxServerOutput = 16 * 1024

    let credential: GitCredential
    let host: String
    private(set) var credentialRequests = 0
    /// The status of each reference the server reported after a push: nil for accepted, else its reason.
    private(set) var referenceStatuses: [String: String?] = [:]
    /// The remote's value of each reference before the push, from the push negotiation.
    private(set) var remoteValuesBeforePush: [String: GitObjectID] = [:]
    private(set) var serverOutput: [UInt8] = []

    init(credential: GitCredential, host: String) {
        self.credential = credential
        self.host = host
    }

    /// The server's text (for example a hook's or a branch protection's message), trimmed.
    var serverText: String {
        String(decoding: serverOutput, as: UTF8.self).trimmingWhitespaceAndNewlines()
    }

    /// Fills `git_remote_callbacks` with the callbacks below and this object as their payload.
    func install(in callbacks: inout git_remote_callbacks) {
        callbacks.credentials = acquireCredential
        callbacks.sideband_progress = receiveServerOutput
        callbacks.push_update_reference = receiveReferenceStatus
        callbacks.push_negotiation = receivePushPlan
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
    }

    /// Supplies the credential on the first request; any later request means the server rejected it.
    fileprivate func supplyCredential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>,
        allowedTypes: UInt32
    ) -> Int32 {
        credentialRequests += 1

        if credentialRequests > 1 {
            let text = "the token was rejected by \(host) for Git; verify or reconnect the integration"
            git_error_set_str(Int32(GIT_ERROR_CALLBACK.rawValue), text)
            return GIT_EAUTH.rawValue
        }
        guard allowedTypes & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else {
            let text = "\(host) asks for a Git credential other than a user name and password"
            git_error_set_str(Int32(GIT_ERROR_CALLBACK.rawValue), text)
            return GIT_EAUTH.rawValue
        }
        return git_credential_userpass_plaintext_new(out, credential.username, credential.password.revealed())
    }

    fileprivate func appendServerOutput(_ text: UnsafeBufferPointer<UInt8>) {
        let room = Self.maxServerOutput - serverOutput.count
        serverOutput.append(contentsOf: text.prefix(max(0, room)))
    }

    fileprivate func recordStatus(reference: String, status: String?) {
        referenceStatuses[reference] = .some(status)
    }

    fileprivate func recordRemoteValue(reference: String, value: GitObjectID) {
        remoteValuesBeforePush[reference] = value
    }
}

private func state(_ payload: UnsafeMutableRawPointer?) -> TransferState? {
    guard let payload else { return nil }
    return Unmanaged<TransferState>.fromOpaque(payload).takeUnretainedValue()
}

private let acquireCredential: git_credential_acquire_cb = { out, _, _, allowedTypes, payload in
    guard let out, let state = state(payload) else { return -1 }
    return state.supplyCredential(out, allowedTypes: allowedTypes)
}

private let receiveServerOutput: git_transport_message_cb = { text, length, payload in
    guard let text, length > 0, let state = state(payload) else { return 0 }
    text.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { bytes in
        state.appendServerOutput(UnsafeBufferPointer(start: bytes, count: Int(length)))
    }
    return 0
}

private let receiveReferenceStatus: git_push_update_reference_cb = { reference, status, payload in
    guard let reference, let state = state(payload) else { return 0 }
    state.recordStatus(reference: String(cString: reference), status: status.map { String(cString: $0) })
    return 0
}

private let receivePushPlan: git_push_negotiation = { updates, count, payload in
    guard let updates, let state = state(payload) else { return 0 }
    for index in 0..<count {
        guard let update = updates[index]?.pointee, let destination = update.dst_refname else { continue }
        state.recordRemoteValue(reference: String(cString: destination), value: GitObjectID(update.src))
    }
    return 0
}
