"""Pull requests of the Bitbucket emulations, for xapi-git's pull request mode.

Bitbucket Cloud: `POST /2.0/repositories/{ws}/{slug}/pullrequests` with `title`, `description`,
`source.branch.name` and `destination.branch.name`, and `GET .../pullrequests?state=OPEN&q=...` where `q`
may filter on `source.branch.name` and `destination.branch.name` with `=` (the only part of Bitbucket's
query language the lab reads). An open pull request for the same branches gets a 400 in the lab.

Bitbucket Data Center: `POST /rest/api/1.0/projects/{key}/repos/{slug}/pull-requests` with `title`,
`description`, `fromRef.id` and `toRef.id`, and `GET .../pull-requests?state=OPEN&direction=OUTGOING&at=REF`.
An open pull request for the same branches gets 409 with `DuplicatePullRequestException`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from .core import Request, Response, json_response
from .repositories import branch_heads
from .state import Repository, Token, public_fields

CLOUD_PREFIX = "/bitbucket"
DATA_CENTER_PREFIX = "/bitbucket-dc"
QUERY_TERM = re.compile(r'(source|destination)\.branch\.name\s*=\s*"([^"]*)"')


def _cloud_error(status: int, message: str) -> Response:
    return json_response(status, {"type": "error", "error": {"message": message}})


def _data_center_error(status: int, message: str, exception: str | None = None) -> Response:
    return json_response(status, {"errors": [{"context": None, "message": message, "exceptionName": exception}]})


def _json_body(request: Request) -> dict | None:
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def cloud_pull_requests(request: Request, token: Token, repository: Repository, writable: bool) -> Response:
    """Create (POST) or list (GET) the pull requests of a Bitbucket Cloud repository."""
    if request.method == "POST":
        return _create_cloud(request, token, repository, writable)

    requested_state = request.query_value("state") or "OPEN"
    filters = dict(QUERY_TERM.findall(request.query_value("q") or ""))
    values = [public_fields(record) for record in repository.change_requests
              if record["state"] == requested_state
              and filters.get("source", record["source"]["branch"]["name"]) == record["source"]["branch"]["name"]
              and filters.get("destination", record["destination"]["branch"]["name"])
              == record["destination"]["branch"]["name"]]
    return json_response(200, {"pagelen": 50, "size": len(values), "page": 1, "values": values})


def _create_cloud(request: Request, token: Token, repository: Repository, writable: bool) -> Response:
    if not writable or not repository.can_write(token.login):
        return _cloud_error(403, "You do not have permission to create a pull request in this repository.")
    payload = _json_body(request)
    if payload is None:
        return _cloud_error(400, "The request body is not a JSON object.")
    title = payload.get("title")
    source = ((payload.get("source") or {}).get("branch") or {}).get("name")
    destination = ((payload.get("destination") or {}).get("branch") or {}).get("name") or "main"
    if not title or not source:
        return _cloud_error(400, "title and source.branch.name are required.")

    state = request.lab.state
    heads = branch_heads(state.repository_path("bitbucket", repository.name))
    for branch in (source, destination):
        if branch not in heads:
            return _cloud_error(400, f"Branch {branch} not found in {repository.name}.")
    base_url = f"{request.lab.base_url}{CLOUD_PREFIX}"

    def make(number: int) -> dict:
        return {
            "type": "pullrequest",
            "id": number,
            "title": str(title),
            "description": str(payload.get("description") or ""),
            "state": "OPEN",
            "author": {"type": "user", "nickname": token.login},
            "source": {"branch": {"name": source}, "commit": {"hash": heads[source]}},
            "destination": {"branch": {"name": destination}, "commit": {"hash": heads[destination]}},
            "links": {
                "self": {"href": f"{base_url}/2.0/repositories/{repository.name}/pullrequests/{number}"},
                "html": {"href": f"{base_url}/{repository.name}/pull-requests/{number}"},
            },
        }

    record, created = state.add_change_request("bitbucket", repository.name, source, destination, make)
    if not created:
        return _cloud_error(400, f"There is already an open pull request from {source} to {destination}: "
                                 f"#{record['id']}.")
    return json_response(201, public_fields(record), [("Location", record["links"]["self"]["href"])])


def data_center_pull_requests(request: Request, token: Token, repository: Repository, writable: bool,
                              page: Callable[[Request, list[dict]], Response]) -> Response:
    """Create (POST) or list (GET, paged with `page`) the pull requests of a Bitbucket Data Center repository."""
    if request.method == "POST":
        return _create_data_center(request, token, repository, writable)

    requested_state = (request.query_value("state") or "OPEN").upper()
    direction = (request.query_value("direction") or "INCOMING").upper()
    at = request.query_value("at")
    side = "fromRef" if direction == "OUTGOING" else "toRef"
    values = [public_fields(record) for record in repository.change_requests
              if (requested_state == "ALL" or record["state"] == requested_state)
              and (not at or record[side]["id"] == at)]
    return page(request, values)


def _create_data_center(request: Request, token: Token, repository: Repository, writable: bool) -> Response:
    if not writable or not repository.can_write(token.login):
        return _data_center_error(401, "You are not permitted to create pull requests in this repository.",
                                  "com.atlassian.bitbucket.AuthorisationException")
    payload = _json_body(request)
    if payload is None:
        return _data_center_error(400, "The request body is not a JSON object.")
    title = payload.get("title")
    from_id = str((payload.get("fromRef") or {}).get("id") or "")
    to_id = str((payload.get("toRef") or {}).get("id") or "")
    if not title or not from_id or not to_id:
        return _data_center_error(400, "title, fromRef.id and toRef.id are required.")

    state = request.lab.state
    heads = branch_heads(state.repository_path("bitbucket-dc", repository.name))
    source, target = from_id.removeprefix("refs/heads/"), to_id.removeprefix("refs/heads/")
    for branch in (source, target):
        if branch not in heads:
            return _data_center_error(404, f"Repository {repository.name} has no branch {branch}.",
                                      "com.atlassian.bitbucket.repository.NoSuchBranchException")
    key, slug = repository.name.split("/", 1)
    base_url = f"{request.lab.base_url}{DATA_CENTER_PREFIX}"

    def reference(branch: str) -> dict:
        return {"id": f"refs/heads/{branch}", "displayId": branch, "latestCommit": heads[branch]}

    def make(number: int) -> dict:
        return {
            "id": number,
            "version": 0,
            "title": str(title),
            "description": str(payload.get("description") or ""),
            "state": "OPEN",
            "open": True,
            "closed": False,
            "fromRef": reference(source),
            "toRef": reference(target),
            "author": {"user": {"name": token.login}, "role": "AUTHOR"},
            "links": {"self": [{"href": f"{base_url}/projects/{key}/repos/{slug}/pull-requests/{number}"}]},
        }

    record, created = state.add_change_request("bitbucket-dc", repository.name, source, target, make)
    if not created:
        return _data_center_error(409, f"Only one pull request may be open for a given source and target branch: "
                                       f"#{record['id']} is open already.",
                                  "com.atlassian.bitbucket.pull.DuplicatePullRequestException")
    return json_response(201, public_fields(record))
