import XapiHTTP

/// Bitbucket Data Center pull requests of one repository:
/// `GET` and `POST /rest/api/1.0/projects/{key}/repos/{slug}/pull-requests`.
struct BitbucketDataCenterPullRequests: ChangeRequestClient {
    let api: ChangeRequestAPI
    let apiRoot: String
    let projectKey: String
    let slug: String

    private var pullRequestsURL: String {
        "\(apiRoot)/projects/\(PathSegment.encode(projectKey))/repos/\(PathSegment.encode(slug))/pull-requests"
    }

    func findOpen(sourceBranch: String, targetBranch: String) async throws(ChangeRequestError) -> ChangeRequest? {
        // `direction=OUTGOING` makes `at` match the source branch; the target is checked on each result.
        let query = "state=OPEN&direction=OUTGOING&limit=100&at=" + PathSegment.encode("refs/heads/" + sourceBranch)
        let request = "GET /rest/api/1.0/projects/\(projectKey)/repos/\(slug)/pull-requests"
        let response = try await api.send("GET", pullRequestsURL + "?" + query, describing: request)
        guard response.status == 200 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .bitbucketDataCenter)
        }

        return try api.parse(response, request: request) { document throws(VerificationStop) in
            for candidate in try document.array("values")
            where try candidate.optionalString("toRef", "id") == "refs/heads/" + targetBranch {
                return try Self.pullRequest(candidate, isNew: false)
            }
            return nil
        }
    }

    func open(_ proposal: ChangeRequestProposal) async throws(ChangeRequestError) -> ChangeRequest {
        let payload: [String: Any] = [
            "title": proposal.title,
            "description": proposal.description,
            "fromRef": ["id": "refs/heads/" + proposal.sourceBranch],
            "toRef": ["id": "refs/heads/" + proposal.targetBranch],
        ]
        let request = "POST /rest/api/1.0/projects/\(projectKey)/repos/\(slug)/pull-requests"
        let response = try await api.send("POST", pullRequestsURL, json: payload, describing: request)

        // Data Center returns 409 (DuplicatePullRequestException) when one is open for the same branches.
        if response.status == 409,
            let existing = try await findOpen(sourceBranch: proposal.sourceBranch, targetBranch: proposal.targetBranch)
        {
            return existing
        }
        guard response.status == 201 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .bitbucketDataCenter)
        }
        return try api.parse(response, request: request) { document throws(VerificationStop) in
            try Self.pullRequest(document, isNew: true)
        }
    }

    private static func pullRequest(_ document: JSONDocument, isNew: Bool) throws(VerificationStop) -> ChangeRequest {
        guard let link = try document.array("links", "self").first else {
            throw VerificationStop(
                status: .unexpectedResponse, detail: "\(document.source) has no links.self entry for the pull request.")
        }
        return ChangeRequest(number: try document.integer("id"), webURL: try link.string("href"), isNew: isNew)
    }
}
