import Foundation
import XapiCore
import XapiHTTP

/// GitHub pull requests of one repository: `GET` and `POST /repos/{owner}/{repo}/pulls`.
struct GitHubPullRequests: ChangeRequestClient {
    let apiRoot: String
    let owner: String
    let name: String
    let token: Secret
    let transport: any HTTPTransport

    private var pullsURL: String {
        "\(apiRoot)/repos/\(PathSegment.encode(owner))/\(PathSegment.encode(name))/pulls"
    }

    func findOpen(sourceBranch: String, targetBranch: String) async throws(ChangeRequestError) -> ChangeRequest? {
        // GitHub filters `head` by `OWNER:BRANCH`, so a branch of a fork with the same name does not match.
        let query = "state=open&head=\(PathSegment.encode(owner + ":" + sourceBranch))"
            + "&base=\(PathSegment.encode(targetBranch))"
        let request = "GET /repos/\(owner)/\(name)/pulls"
        let response = try await send(HTTPRequest(method: "GET", url: pullsURL + "?" + query), describing: request)
        guard response.status == 200 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .github)
        }

        return try parse(response, request: request) { document throws(VerificationStop) in
            guard let first = try document.array().first else { return nil }
            return try Self.pullRequest(first, isNew: false)
        }
    }

    func open(_ proposal: ChangeRequestProposal) async throws(ChangeRequestError) -> ChangeRequest {
        let payload: [String: String] = [
            "title": proposal.title,
            "head": proposal.sourceBranch,
            "base": proposal.targetBranch,
            "body": proposal.description,
        ]
        let body = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data()
        let request = "POST /repos/\(owner)/\(name)/pulls"
        let response = try await send(
            HTTPRequest(
                method: "POST", url: pullsURL, headers: [("Content-Type", "application/json")], body: [UInt8](body)),
            describing: request
        )

        if response.status == 422, response.bodyText.contains("already exists"),
            let existing = try await findOpen(sourceBranch: proposal.sourceBranch, targetBranch: proposal.targetBranch)
        {
            return existing
        }
        guard response.status == 201 else {
            throw ChangeRequestError.unexpected(response, request: request, platform: .github)
        }
        return try parse(response, request: request) { document throws(VerificationStop) in
            try Self.pullRequest(document, isNew: true)
        }
    }

    private static func pullRequest(_ document: JSONDocument, isNew: Bool) throws(VerificationStop) -> ChangeRequest {
        ChangeRequest(number: try document.integer("number"), webURL: try document.string("html_url"), isNew: isNew)
    }

    private func send(_ request: HTTPRequest, describing text: String) async throws(ChangeRequestError) -> HTTPResponse {
        var request = request
        request.headers += GitHubAdapter.apiHeaders
        request.credential = .bearer(token)
        do {
            return try await transport.send(request)
        } catch {
            throw ChangeRequestError.transport(error, request: text, platform: .github)
        }
    }

    private func parse<T>(
        _ response: HTTPResponse,
        request: String,
        _ read: (JSONDocument) throws(VerificationStop) -> T
    ) throws(ChangeRequestError) -> T {
        do {
            return try read(try JSONDocument(body: response.body, source: "GitHub's response to \(request)"))
        } catch {
            throw ChangeRequestError(status: response.status, message: error.detail)
        }
    }
}
