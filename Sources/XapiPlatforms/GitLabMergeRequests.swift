import XapiHTTP

/// GitLab merge requests of one project: `GET` and `POST /projects/:id/merge_requests`.
struct GitLabMergeRequests: ChangeRequestClient {
    let api: ChangeRequestAPI
    let apiRoot: String
    /// The project's full path, `group/sub/project`, sent URL-encoded as its id.
    let projectPath: String

    private var mergeRequestsURL: String {
        "\(apiRoot)/projects/\(PathSegment.encode(projectPath))/merge_requests"
    }

    func findOpen(sourceBranch: String, targetBranch: String) async throws(ChangeRequestError) -> ChangeRequest? {
        let query = "state=opened&source_branch=\(PathSegment.encode(sourceBranch))"
            + "&target_branch=\(PathSegment.encode(targetBranch))"
        let request = "GET /projects/\(projectPath)/merge_requests"
        let response = try await api.send("GET", mergeRequestsURL + "?" + query, describing: request)
        guard response.status == 200 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .gitlab)
        }

        return try api.parse(response, request: request) { document throws(VerificationStop) in
            guard let first = try document.array().first else { return nil }
            return try Self.mergeRequest(first, isNew: false)
        }
    }

    func open(_ proposal: ChangeRequestProposal) async throws(ChangeRequestError) -> ChangeRequest {
        let payload = [
            "source_branch": proposal.sourceBranch,
            "target_branch": proposal.targetBranch,
            "title": proposal.title,
            "description": proposal.description,
        ]
        let request = "POST /projects/\(projectPath)/merge_requests"
        let response = try await api.send("POST", mergeRequestsURL, json: payload, describing: request)

        // GitLab returns 409 when an open merge request for the source branch exists already.
        if response.status == 409,
            let existing = try await findOpen(sourceBranch: proposal.sourceBranch, targetBranch: proposal.targetBranch)
        {
            return existing
        }
        guard response.status == 201 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .gitlab)
        }
        return try api.parse(response, request: request) { document throws(VerificationStop) in
            try Self.mergeRequest(document, isNew: true)
        }
    }

    private static func mergeRequest(_ document: JSONDocument, isNew: Bool) throws(VerificationStop) -> ChangeRequest {
        ChangeRequest(number: try document.integer("iid"), webURL: try document.string("web_url"), isNew: isNew)
    }
}
