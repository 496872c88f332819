import XapiHTTP

/// GitHub pull requests of one repository: `GET` and `POST /repos/{owner}/{repo}/pulls`.
struct GitHubPullRequests: ChangeRequestClient {
    let api: ChangeRequestAPI
    let apiRoot: String
    let owner: String
    let name: String

    private var pullsURL: String {
        "\(apiRoot)/repos/\(PathSegment.encode(owner))/\(PathSegment.encode(name))/pulls"
    }

    func findOpen(sourceBranch: String, targetBranch: String) async throws(ChangeRequestError) -> ChangeRequest? {
        // GitHub filters `head` by `OWNER:BRANCH`, so a branch of a fork with the same name does not match.
        let query = "state=open&head=\(PathSegment.encode(owner + ":" + sourceBranch))"
            + "&base=\(PathSegment.encode(targetBranch))"
        let request = "GET /repos/\(owner)/\(name)/pulls"
        let response = try await api.send("GET", pullsURL + "?" + query, describing: request)
        guard response.status == 200 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .github)
        }

        return try api.parse(response, request: request) { document throws(VerificationStop) in
            guard let first = try document.array().first else { return nil }
            return try Self.pullRequest(first, isNew: false)
        }
    }

    func open(_ proposal: ChangeRequestProposal) async throws(ChangeRequestError) -> ChangeRequest {
        let payload = [
            "title": proposal.title,
            "head": proposal.sourceBranch,
            "base": proposal.targetBranch,
            "body": proposal.description,
        ]
        let request = "POST /repos/\(owner)/\(name)/pulls"
        let response = try await api.send("POST", pullsURL, json: payload, describing: request)

        // GitHub returns 422 "A pull request already exists for OWNER:BRANCH." when one is open.
        if response.status == 422, response.bodyText.contains("already exists"),
            let existing = try await findOpen(sourceBranch: proposal.sourceBranch, targetBranch: proposal.targetBranch)
        {
            return existing
        }
        guard response.status == 201 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .github)
        }
        return try api.parse(response, request: request) { document throws(VerificationStop) in
            try Self.pullRequest(document, isNew: true)
        }
    }

    private static func pullRequest(_ document: JSONDocument, isNew: Bool) throws(VerificationStop) -> ChangeRequest {
        ChangeRequest(number: try document.integer("number"), webURL: try document.string("html_url"), isNew: isNew)
    }
}
