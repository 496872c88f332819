import Foundation
import XapiStore

/// The result of `Connector.rotateSealingKey(as:)`.
public struct KeyRotation: Sendable {
    /// The key file that now contains the new key, or nil when the key came from `XAPI_GIT_KEY`.
    public var keyFile: String?
    /// The number of integrations whose token was re-sealed.
    public var integrationCount: Int
    /// The new key as base64, set only when the key came from `XAPI_GIT_KEY`, because then the operator
    /// must store it: no file of this program contains it.
    public var newKeyBase64: String?
}

extension Connector {
    /// Re-seals every stored token with a new random key in one store transaction.
    ///
    /// With a key file the steps are: write the new key to `KEYFILE.new` (mode 0600), re-seal in the store,
    /// then rename `KEYFILE.new` over `KEYFILE`. A failure before the commit removes `KEYFILE.new`, so the
    /// store and the old key file stay as they were. A failure of the final rename leaves the tokens sealed
    /// with the key in `KEYFILE.new`, and the error message gives the `mv` command that finishes the rotation.
    ///
    /// With `XAPI_GIT_KEY` the new key is returned in `KeyRotation.newKeyBase64` for the caller to show
    /// once. Only an owner may rotate the key.
    public func rotateSealingKey(as actor: String) async throws -> KeyRotation {
        let integrationCount = try await read { reader in
            try self.requireOwner(actor, in: reader)
            return try reader.integrations().count
        }

        let newKey: SealingKey
        do {
            newKey = try SealingKey.generate()
        } catch let error as StoreError {
            throw ConnectorError(.failed, "could not generate a new sealing key: \(error.message)")
        }

        if configuration.keyBase64 != nil {
            try await resealOffPool(with: newKey, pendingKeyFile: nil)
            try await recordRotation(actor: actor, keyFile: nil, integrationCount: integrationCount)
            return KeyRotation(keyFile: nil, integrationCount: integrationCount, newKeyBase64: newKey.revealedBase64())
        }

        let keyFile = configuration.resolvedKeyFile
        let pendingKeyFile = keyFile + ".new"
        do {
            try newKey.write(to: pendingKeyFile)
        } catch let error as StoreError {
            throw ConnectorError(.failed, "could not write the new sealing key to \(pendingKeyFile): \(error.message)")
        }

        try await resealOffPool(with: newKey, pendingKeyFile: pendingKeyFile)

        guard rename(pendingKeyFile, keyFile) == 0 else {
            let reason = String(cString: strerror(errno))
            throw ConnectorError(
                .failed,
                "the tokens are now sealed with the key in \(pendingKeyFile), but renaming it to \(keyFile) failed "
                    + "(\(reason)); run `mv \(pendingKeyFile) \(keyFile)` before the next command"
            )
        }

        try await recordRotation(actor: actor, keyFile: keyFile, integrationCount: integrationCount)
        return KeyRotation(keyFile: keyFile, integrationCount: integrationCount, newKeyBase64: nil)
    }

    /// Runs `Store.rotateKey(to:)` on its own thread, because it blocks until the store's transaction ends.
    ///
    /// On failure it removes `pendingKeyFile`, since the store still uses the old key.
    private func resealOffPool(with newKey: SealingKey, pendingKeyFile: String?) async throws {
        let store = self.store
        let result: Result<Void, StoreError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do {
                    try store.rotateKey(to: newKey)
                    continuation.resume(returning: .success(()))
                } catch let error as StoreError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(returning: .failure(StoreError(.sqlite, String(describing: error))))
                }
            }
        }

        guard case .failure(let error) = result else { return }
        if let pendingKeyFile {
            unlink(pendingKeyFile)
        }
        throw ConnectorError(
            .failed,
            "the sealing key was not rotated, and the old key still opens every token: \(error.message)"
        )
    }

    private func recordRotation(actor: String, keyFile: String?, integrationCount: Int) async throws {
        try await write { writer in
            try writer.appendAudit(
                actor: actor,
                action: "key.rotate",
                subject: keyFile ?? "XAPI_GIT_KEY",
                before: nil,
                after: ["integrations": String(integrationCount)]
            )
        }
    }

    /// Checks that `actor` is an owner; key rotation is an owner's task, so no other role passes.
    private func requireOwner(_ actor: String, in reader: StoreReader) throws {
        try authorize(actor, for: .read, in: reader)
        guard let member = try reader.member(actor), member.role == MemberRecord.ownerRole else {
            throw ConnectorError(
                .permissionDenied,
                "only an owner may rotate the sealing key, and '\(actor)' is not an owner; run the command "
                    + "with --as OWNER"
            )
        }
    }
}
