import XapiPlatforms

extension Connector {
    /// Returns the branch that pull request mode pushes `name` to, such as `xapi-git/shop-orders-v1`.
    static func syncBranch(for name: TargetName) -> String {
        "xapi-git/" + ([name.project, name.name] + (name.version.map { [$0] } ?? [])).joined(separator: "-")
    }

    /// Creates the platform's change request client. The sync calls it before any push, so that a credential
    /// or repository name that the API cannot use stops the sync early.
    func changeRequestClient(at location: RepositoryLocation, token: AccessToken) throws -> any ChangeRequestClient {
        do {
            return try ChangeRequestClients.client(at: location, token: token, transport: transport)
        } catch {
            throw ConnectorError(.invalidInput, String(describing: error))
        }
    }

    /// Returns the open change request from the sync branch into the integration's branch, opening one when
    /// none is open.
    ///
    /// When nothing was pushed and none is open, an open attempt that the platform refuses (GitHub returns
    /// 422 when the branches do not differ) gives nil instead of an error.
    func openChangeRequest(_ client: any ChangeRequestClient, plan: PushPlan, pushed: Bool) async throws
        -> ChangeRequest?
    {
        guard let base = plan.baseBranch else { return nil }
        let proposal = ChangeRequestProposal(
            sourceBranch: plan.branch,
            targetBranch: base,
            title: plan.message,
            description: "Files synced by xapi-git for \(plan.target): "
                + plan.writes.map { "`\($0.path)`" }.joined(separator: ", ")
        )

        do {
            if let existing = try await client.findOpen(sourceBranch: plan.branch, targetBranch: base) {
                return existing
            }
            return try await client.open(proposal)
        } catch  where !pushed && error.status == 422 {
            return nil
        } catch {
            throw ConnectorError(
                .failed,
                "the sync branch '\(plan.branch)' of \(plan.record.repository) is up to date, but the pull request "
                    + "into '\(base)' could not be opened: \(error.message). Sync again to retry"
            )
        }
    }
}
