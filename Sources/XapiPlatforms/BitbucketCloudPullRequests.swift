import XapiHTTP

/// Bitbucket Cloud pull requests of one repository: `GET` and `POST /2.0/repositories/{ws}/{slug}/pullrequests`.
struct BitbucketCloudPullRequests: ChangeRequestClient {
    let api: ChangeRequestAPI
    let apiRoot: String
    let workspace: String
    let slug: String

    private var pullRequestsURL: String {
        "\(apiRoot)/repositories/\(PathSegment.encode(workspace))/\(PathSegment.encode(slug))/pullrequests"
    }

    func findOpen(sourceBranch: String, targetBranch: String) async throws(ChangeRequestError) -> ChangeRequest? {
        // Bitbucket's query language quotes values with double quotes, so a quote or backslash in a branch name
        // is escaped with a backslash.
        let query =
            "source.branch.name = \(Self.quoted(sourceBranch)) AND "
            + "destination.branch.name = \(Self.quoted(targetBranch))"
        let request = "GET /2.0/repositories/\(workspace)/\(slug)/pullrequests"
        let url = pullRequestsURL + "?state=OPEN&q=" + PathSegment.encode(query)
        let response = try await api.send("GET", url, describing: request)
        guard response.status == 200 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .bitbucket)
        }

        return try api.parse(response, request: request) { document throws(VerificationStop) in
            guard let first = try document.array("values").first else { return nil }
            return try Self.pullRequest(first, isNew: false)
        }
    }

    func open(_ proposal: ChangeRequestProposal) async throws(ChangeRequestError) -> ChangeRequest {
        let payload: [String: Any] = [
            "title": proposal.title,
            "description": proposal.description,
            "source": ["branch": ["name": proposal.sourceBranch]],
            "destination": ["branch": ["name": proposal.targetBranch]],
        ]
        let request = "POST /2.0/repositories/\(workspace)/\(slug)/pullrequests"
        let response = try await api.send("POST", pullRequestsURL, json: payload, describing: request)
        guard response.status == 201 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .bitbucket)
        }
        return try api.parse(response, request: request) { document throws(VerificationStop) in
            try Self.pullRequest(document, isNew: true)
        }
    }

    private static func pullRequest(_ document: JSONDocument, isNew: Bool) throws(VerificationStop) -> ChangeRequest {
        ChangeRequest(
            number: try document.integer("id"), webURL: try document.string("links", "html", "href"), isNew: isNew)
    }

    private static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
