"""Tests of the hosting lab: REST emulation, Git over HTTPS, faults and labctl.

They start a lab of their own in a temporary state directory and stop it at the end. Requests go through
http.client, which trusts only the lab CA, and through the git command line, which gets credentials from a
GIT_ASKPASS script that reads environment variables. Run: `python3 -m unittest discover Integrations/lab/tests`.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path

LAB = Path(__file__).resolve().parent.parent
LABCTL = LAB / "labctl"

ASKPASS_SCRIPT = """#!/bin/sh
case "$1" in
    Username*) printf '%s\\n' "$LAB_GIT_USER" ;;
    *) printf '%s\\n' "$LAB_GIT_PASSWORD" ;;
esac
"""

work_dir: Path
environment: dict[str, str]
lab_url: str
ca_file: str
stall_url: str


def setUpModule() -> None:
    global work_dir, environment, lab_url, ca_file, stall_url
    work_dir = Path(tempfile.mkdtemp(prefix="lab-test-"))
    environment = {key: value for key, value in os.environ.items()
                   if key.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    environment["XAPI_LAB_STATE"] = str(work_dir / "state")
    exports = labctl("start")
    values = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
    lab_url, ca_file, stall_url = values["XAPI_LAB_URL"], values["XAPI_GIT_CA_FILE"], values["XAPI_LAB_STALL_URL"]
    askpass = work_dir / "askpass.sh"
    askpass.write_text(ASKPASS_SCRIPT)
    askpass.chmod(0o700)


def tearDownModule() -> None:
    labctl("stop")
    shutil.rmtree(work_dir, ignore_errors=True)


def labctl(*arguments: str, stdin: str | None = None, check: bool = True) -> str:
    completed = subprocess.run([str(LABCTL), *arguments], input=stdin, capture_output=True, text=True,
                               env=environment, timeout=60)
    if check and completed.returncode != 0:
        raise AssertionError(f"labctl {' '.join(arguments)} failed: {completed.stderr}")
    return completed.stdout.strip()


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


class Reply:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def connection(timeout: float = 10) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=ca_file)
    port = urllib.parse.urlsplit(lab_url).port
    return http.client.HTTPSConnection("localhost", port, context=context, timeout=timeout)


def call(path: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None,
         timeout: float = 10) -> Reply:
    """Send one request to the lab and return its status, headers and body."""
    client = connection(timeout)
    try:
        client.request(method, path, body=body, headers=headers or {})
        response = client.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        client.close()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def git(*arguments: str, cwd: Path | None = None, user: str = "", password: str = "",
        extra_header: str | None = None) -> subprocess.CompletedProcess:
    """Run the git command line against the lab; credentials come from GIT_ASKPASS or an environment header."""
    git_environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(work_dir),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_SSL_CAINFO": ca_file,
        "GIT_ASKPASS": str(work_dir / "askpass.sh"),
        "LAB_GIT_USER": user,
        "LAB_GIT_PASSWORD": password,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    if extra_header:
        git_environment.update({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
                                "GIT_CONFIG_VALUE_0": extra_header})
    return subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True, env=git_environment,
                          timeout=60)


def bare_git(path: str, *arguments: str) -> str:
    completed = subprocess.run(["git", "-C", path, *arguments], capture_output=True, text=True, timeout=30,
                               env={"PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1",
                                    "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(work_dir)})
    return completed.stdout.strip()


def clone_and_commit(url: str, user: str, password: str, extra_header: str | None = None) -> Path:
    """Clone `url` into a new directory and add one commit with a new file; returns the clone."""
    clone = work_dir / unique("clone")
    completed = git("clone", "--quiet", url, str(clone), user=user, password=password, extra_header=extra_header)
    if completed.returncode != 0:
        raise AssertionError(f"git clone {url} failed: {completed.stderr}")
    (clone / "openapi.yaml").write_text(f"openapi: 3.1.0\n# {secrets.token_hex(4)}\n")
    git("add", "openapi.yaml", cwd=clone)
    git("commit", "--quiet", "-m", "Add openapi.yaml", cwd=clone)
    return clone


class GitHubAPITests(unittest.TestCase):
    def test_user_reports_scopes_and_expiry(self):
        login = unique("alice")
        token = labctl("token", "add", "--platform", "github", "--user", login, "--scopes", "repo,workflow",
                       "--expires", "2030-01-31T12:30:00Z")
        reply = call("/github/api/v3/user", bearer(token))
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.json()["login"], login)
        self.assertEqual(reply.json()["type"], "User")
        self.assertEqual(reply.headers["X-OAuth-Scopes"], "repo, workflow")
        self.assertEqual(reply.headers["github-authentication-token-expiration"], "2030-01-31 12:30:00 UTC")
        self.assertEqual(reply.headers["x-ratelimit-limit"], "5000")
        self.assertEqual(reply.headers["x-ratelimit-remaining"], "4999")

    def test_token_scheme_and_no_expiry(self):
        token = labctl("token", "add", "--platform", "github", "--user", unique("ann"), "--expires", "never")
        reply = call("/github/api/v3/user", {"Authorization": f"token {token}"})
        self.assertEqual(reply.status, 200)
        self.assertIsNone(reply.headers["github-authentication-token-expiration"])

    def test_invalid_tokens_get_bad_credentials(self):
        expired = labctl("token", "add", "--platform", "github", "--user", unique("eve"))
        labctl("token", "expire", "-", stdin=expired)
        revoked = labctl("token", "add", "--platform", "github", "--user", unique("rex"))
        labctl("token", "revoke", "-", stdin=revoked)
        gitlab_token = labctl("token", "add", "--platform", "gitlab", "--user", unique("gil"))
        for token in ("ghp_unknown", expired, revoked, gitlab_token):
            reply = call("/github/api/v3/user", bearer(token))
            self.assertEqual(reply.status, 401)
            self.assertEqual(reply.json()["message"], "Bad credentials")

    def test_repository_permissions_by_role(self):
        owner, writer, reader = unique("own"), unique("wri"), unique("rea")
        name = f"{owner}/{unique('repo')}"
        labctl("repo", "add", "--platform", "github", name, "--writer", writer, "--reader", reader)
        expected = {owner: (True, True), writer: (False, True), reader: (False, False)}
        for login, (admin, push) in expected.items():
            token = labctl("token", "add", "--platform", "github", "--user", login)
            reply = call(f"/github/api/v3/repos/{name}", bearer(token))
            self.assertEqual(reply.status, 200, login)
            permissions = reply.json()["permissions"]
            self.assertEqual(permissions["admin"], admin, login)
            self.assertEqual(permissions["push"], push, login)
            self.assertTrue(permissions["pull"], login)
            self.assertEqual(reply.json()["default_branch"], "main")

    def test_repository_hidden_without_access(self):
        owner = unique("own")
        name = f"{owner}/{unique('repo')}"
        labctl("repo", "add", "--platform", "github", name)
        stranger = labctl("token", "add", "--platform", "github", "--user", unique("str"))
        no_scope = labctl("token", "add", "--platform", "github", "--user", owner, "--scopes", "read:user")
        for token in (stranger, no_scope):
            reply = call(f"/github/api/v3/repos/{name}", bearer(token))
            self.assertEqual(reply.status, 404)
            self.assertEqual(reply.json()["message"], "Not Found")

    def test_branch_found_and_missing(self):
        owner = unique("own")
        name = f"{owner}/{unique('repo')}"
        labctl("repo", "add", "--platform", "github", name, "--protect", "main")
        token = labctl("token", "add", "--platform", "github", "--user", owner)
        found = call(f"/github/api/v3/repos/{name}/branches/main", bearer(token))
        self.assertEqual(found.status, 200)
        self.assertTrue(found.json()["protected"])
        path = labctl("repo", "path", "--platform", "github", name)
        self.assertEqual(found.json()["commit"]["sha"], bare_git(path, "rev-parse", "refs/heads/main"))
        missing = call(f"/github/api/v3/repos/{name}/branches/absent", bearer(token))
        self.assertEqual(missing.status, 404)
        self.assertEqual(missing.json()["message"], "Branch not found")

    def test_sso_enforced_until_token_authorized(self):
        owner, writer = unique("org"), unique("wri")
        name = f"{owner}/{unique('repo')}"
        labctl("repo", "add", "--platform", "github", name, "--writer", writer)
        labctl("sso", "enforce", "--platform", "github", owner)
        token = labctl("token", "add", "--platform", "github", "--user", writer)
        refused = call(f"/github/api/v3/repos/{name}", bearer(token))
        self.assertEqual(refused.status, 403)
        self.assertIn("SAML enforcement", refused.json()["message"])
        self.assertRegex(refused.headers["X-GitHub-SSO"],
                         rf"^required; url=https://localhost:\d+/github/orgs/{owner}/sso\?authorization_request=\S+$")
        self.assertEqual(call("/github/api/v3/user", bearer(token)).status, 200)
        clone = git("clone", "--quiet", f"{lab_url}/github/{name}.git", str(work_dir / unique("sso")),
                    user="x-access-token", password=token)
        self.assertNotEqual(clone.returncode, 0)
        self.assertIn("403", clone.stderr)

        labctl("sso", "authorize", "-", owner, stdin=token)
        self.assertEqual(call(f"/github/api/v3/repos/{name}", bearer(token)).status, 200)

    def test_primary_rate_limit_until_reset(self):
        token = labctl("token", "add", "--platform", "github", "--user", unique("rat"))
        labctl("ratelimit", "set", "--platform", "github", "--kind", "primary", "--reset-in", "1", "-", stdin=token)
        limited = call("/github/api/v3/user", bearer(token))
        self.assertEqual(limited.status, 403)
        self.assertEqual(limited.headers["x-ratelimit-remaining"], "0")
        self.assertGreaterEqual(int(limited.headers["x-ratelimit-reset"]), int(time.time()))
        self.assertRegex(limited.json()["message"], r"^API rate limit exceeded for user ID \d+\.$")
        time.sleep(1.2)
        self.assertEqual(call("/github/api/v3/user", bearer(token)).status, 200)

    def test_secondary_rate_limit_sends_retry_after(self):
        token = labctl("token", "add", "--platform", "github", "--user", unique("sec"))
        labctl("ratelimit", "set", "--platform", "github", "--kind", "secondary", "--reset-in", "30", "-", stdin=token)
        limited = call("/github/api/v3/user", bearer(token))
        self.assertEqual(limited.status, 403)
        self.assertTrue(1 <= int(limited.headers["Retry-After"]) <= 30)
        self.assertIn("secondary rate limit", limited.json()["message"])
        labctl("ratelimit", "clear", "-", stdin=token)
        self.assertEqual(call("/github/api/v3/user", bearer(token)).status, 200)

    def test_renamed_repository_redirects(self):
        owner = unique("own")
        old, new = f"{owner}/{unique('old')}", f"{owner}/{unique('new')}"
        labctl("repo", "add", "--platform", "github", old)
        labctl("repo", "rename", "--platform", "github", old, new)
        token = labctl("token", "add", "--platform", "github", "--user", owner)
        moved = call(f"/github/api/v3/repos/{old}", bearer(token))
        self.assertEqual(moved.status, 301)
        self.assertEqual(moved.headers["Location"], f"{lab_url}/github/api/v3/repos/{new}")


class ChangeRequestTests(unittest.TestCase):
    def push_branch(self, url: str, user: str, token: str, branch: str) -> None:
        clone = clone_and_commit(url, user, token)
        pushed = git("push", "origin", f"main:{branch}", cwd=clone, user=user, password=token)
        self.assertEqual(pushed.returncode, 0, pushed.stderr)

    def test_github_pull_request_created_once(self):
        owner = unique("own")
        name = f"{owner}/{unique('repo')}"
        labctl("repo", "add", "--platform", "github", name)
        token = labctl("token", "add", "--platform", "github", "--user", owner)
        self.push_branch(f"{lab_url}/github/{name}.git", "x-access-token", token, "update-spec")
        body = json.dumps({"title": "Update spec", "head": "update-spec", "base": "main"}).encode()

        created = call(f"/github/api/v3/repos/{name}/pulls", bearer(token), "POST", body)
        self.assertEqual(created.status, 201)
        self.assertEqual(created.json()["number"], 1)
        self.assertEqual(created.json()["head"]["ref"], "update-spec")
        duplicate = call(f"/github/api/v3/repos/{name}/pulls", bearer(token), "POST", body)
        self.assertEqual(duplicate.status, 422)
        self.assertIn("already exists", duplicate.json()["errors"][0]["message"])
        listed = call(f"/github/api/v3/repos/{name}/pulls?head={owner}:update-spec", bearer(token))
        self.assertEqual([pull["number"] for pull in listed.json()], [1])
        no_commits = json.dumps({"title": "Nothing", "head": "main", "base": "update-spec"}).encode()
        self.assertEqual(call(f"/github/api/v3/repos/{name}/pulls", bearer(token), "POST", no_commits).status, 422)

    def test_gitlab_merge_request_created_once(self):
        developer = unique("dev")
        name = f"{unique('group')}/{unique('project')}"
        labctl("repo", "add", "--platform", "gitlab", name, "--writer", developer)
        token = labctl("token", "add", "--platform", "gitlab", "--user", developer)
        self.push_branch(f"{lab_url}/gitlab/{name}.git", "oauth2", token, "update-spec")
        encoded = urllib.parse.quote(name, safe="")
        form = urllib.parse.urlencode({"source_branch": "update-spec", "target_branch": "main",
                                       "title": "Update spec"}).encode()
        headers = {"PRIVATE-TOKEN": token, "Content-Type": "application/x-www-form-urlencoded"}

        created = call(f"/gitlab/api/v4/projects/{encoded}/merge_requests", headers, "POST", form)
        self.assertEqual(created.status, 201)
        self.assertEqual(created.json()["iid"], 1)
        duplicate = call(f"/gitlab/api/v4/projects/{encoded}/merge_requests", headers, "POST", form)
        self.assertEqual(duplicate.status, 409)
        listed = call(f"/gitlab/api/v4/projects/{encoded}/merge_requests?source_branch=update-spec&state=opened",
                      {"PRIVATE-TOKEN": token})
        self.assertEqual([request["iid"] for request in listed.json()], [1])

    def test_bitbucket_pull_request_created_once(self):
        writer = unique("wri")
        name = f"{unique('ws')}/{unique('repo')}"
        labctl("repo", "add", "--platform", "bitbucket", name, "--writer", writer)
        token = labctl("token", "add", "--platform", "bitbucket", "--user", writer, "--kind", "access-token")
        self.push_branch(f"{lab_url}/bitbucket/{name}.git", "x-token-auth", token, "update-spec")
        body = json.dumps({"title": "Update spec", "source": {"branch": {"name": "update-spec"}},
                           "destination": {"branch": {"name": "main"}}}).encode()
        headers = {**bearer(token), "Content-Type": "application/json"}

        created = call(f"/bitbucket/2.0/repositories/{name}/pullrequests", headers, "POST", body)
        self.assertEqual(created.status, 201)
        self.assertEqual(created.json()["id"], 1)
        self.assertTrue(created.json()["links"]["html"]["href"].endswith(f"/{name}/pull-requests/1"))
        duplicate = call(f"/bitbucket/2.0/repositories/{name}/pullrequests", headers, "POST", body)
        self.assertEqual(duplicate.status, 400)
        query = urllib.parse.quote('source.branch.name = "update-spec" AND destination.branch.name = "main"')
        listed = call(f"/bitbucket/2.0/repositories/{name}/pullrequests?state=OPEN&q={query}", bearer(token))
        self.assertEqual([pull["id"] for pull in listed.json()["values"]], [1])
        other = urllib.parse.quote('source.branch.name = "other"')
        self.assertEqual(call(f"/bitbucket/2.0/repositories/{name}/pullrequests?q={other}",
                              bearer(token)).json()["values"], [])

    def test_bitbucket_dc_pull_request_created_once(self):
        writer = unique("wri")
        name = f"{unique('PRJ').upper()}/{unique('repo')}"
        labctl("repo", "add", "--platform", "bitbucket-dc", name, "--writer", writer)
        token = labctl("token", "add", "--platform", "bitbucket-dc", "--user", writer)
        self.push_branch(f"{lab_url}/bitbucket-dc/scm/{name}.git", writer, token, "update-spec")
        key, slug = name.split("/")
        path = f"/bitbucket-dc/rest/api/1.0/projects/{key}/repos/{slug}/pull-requests"
        body = json.dumps({"title": "Update spec", "fromRef": {"id": "refs/heads/update-spec"},
                           "toRef": {"id": "refs/heads/main"}}).encode()
        headers = {**bearer(token), "Content-Type": "application/json"}

        created = call(path, headers, "POST", body)
        self.assertEqual(created.status, 201)
        self.assertEqual(created.json()["id"], 1)
        self.assertTrue(created.json()["links"]["self"][0]["href"].endswith(f"/repos/{slug}/pull-requests/1"))
        duplicate = call(path, headers, "POST", body)
        self.assertEqual(duplicate.status, 409)
        self.assertIn("DuplicatePullRequestException", duplicate.body.decode())
        listed = call(f"{path}?state=OPEN&direction=OUTGOING&at=refs/heads/update-spec", bearer(token))
        self.assertEqual([pull["id"] for pull in listed.json()["values"]], [1])


class GitHubGitTests(unittest.TestCase):
    def setUp(self):
        self.owner, self.writer, self.reader = unique("own"), unique("wri"), unique("rea")
        self.name = f"{self.owner}/{unique('repo')}"
        labctl("repo", "add", "--platform", "github", self.name, "--writer", self.writer, "--reader", self.reader,
               "--protect", "release")
        self.url = f"{lab_url}/github/{self.name}.git"
        self.path = labctl("repo", "path", "--platform", "github", self.name)

    def test_writer_push_lands(self):
        token = labctl("token", "add", "--platform", "github", "--user", self.writer)
        clone = clone_and_commit(self.url, "x-access-token", token)
        pushed = git("push", "origin", "main", cwd=clone, user="x-access-token", password=token)
        self.assertEqual(pushed.returncode, 0, pushed.stderr)
        self.assertEqual(bare_git(self.path, "show", "main:openapi.yaml"), (clone / "openapi.yaml").read_text().strip())
        stats = json.loads(labctl("repo", "stats", "--platform", "github", self.name))
        self.assertEqual(stats["pushes"], 1)
        self.assertEqual(stats["fetches"], 1)
        self.assertNotIn(token, (Path(clone) / ".git" / "config").read_text())

    def test_chunked_push_lands(self):
        token = labctl("token", "add", "--platform", "github", "--user", self.writer)
        clone = clone_and_commit(self.url, "x-access-token", token)
        (clone / "large.bin").write_bytes(os.urandom(300_000))
        git("add", "large.bin", cwd=clone)
        git("commit", "--quiet", "-m", "Add a file larger than the post buffer", cwd=clone)
        # A post buffer smaller than the pack makes git send the receive-pack body with chunked transfer coding.
        pushed = git("-c", "http.postBuffer=65536", "push", "origin", "main", cwd=clone, user="x-access-token",
                     password=token)
        self.assertEqual(pushed.returncode, 0, pushed.stderr)
        self.assertEqual(bare_git(self.path, "rev-parse", "main"), git("rev-parse", "HEAD", cwd=clone).stdout.strip())

    def test_reader_push_refused(self):
        token = labctl("token", "add", "--platform", "github", "--user", self.reader)
        clone = clone_and_commit(self.url, "x-access-token", token)
        before = bare_git(self.path, "rev-parse", "main")
        pushed = git("push", "origin", "main", cwd=clone, user="x-access-token", password=token)
        self.assertNotEqual(pushed.returncode, 0)
        self.assertIn(f"Permission to {self.name}.git denied to {self.reader}.", pushed.stderr)
        self.assertEqual(bare_git(self.path, "rev-parse", "main"), before)

    def test_protected_branch_refuses_push(self):
        token = labctl("token", "add", "--platform", "github", "--user", self.writer)
        clone = clone_and_commit(self.url, "x-access-token", token)
        pushed = git("push", "origin", "main:release", cwd=clone, user="x-access-token", password=token)
        self.assertNotEqual(pushed.returncode, 0)
        self.assertIn("GH006: Protected branch update failed for refs/heads/release.", pushed.stderr)
        self.assertEqual(bare_git(self.path, "branch", "--list", "release"), "")

    def test_non_fast_forward_refused(self):
        token = labctl("token", "add", "--platform", "github", "--user", self.writer)
        clone = clone_and_commit(self.url, "x-access-token", token)
        git("commit", "--quiet", "--amend", "-m", "Rewrite", cwd=clone)
        git("reset", "--quiet", "--hard", "HEAD~1", cwd=clone)
        (clone / "other.txt").write_text("other\n")
        git("add", "other.txt", cwd=clone)
        git("commit", "--quiet", "-m", "Other", cwd=clone)
        first = git("push", "origin", "main", cwd=clone, user="x-access-token", password=token)
        self.assertEqual(first.returncode, 0, first.stderr)
        git("reset", "--quiet", "--hard", "HEAD~1", cwd=clone)
        forced = git("push", "--force", "origin", "main", cwd=clone, user="x-access-token", password=token)
        self.assertNotEqual(forced.returncode, 0)
        self.assertIn("non-fast-forward", forced.stderr)

    def test_bad_and_expired_tokens_cannot_clone(self):
        expired = labctl("token", "add", "--platform", "github", "--user", self.writer)
        labctl("token", "expire", "-", stdin=expired)
        for password in ("ghp_wrong", expired):
            clone = git("clone", "--quiet", self.url, str(work_dir / unique("bad")), user="x-access-token",
                        password=password)
            self.assertNotEqual(clone.returncode, 0)
            self.assertIn("Authentication failed", clone.stderr)

    def test_stranger_sees_no_repository(self):
        token = labctl("token", "add", "--platform", "github", "--user", unique("str"))
        clone = git("clone", "--quiet", self.url, str(work_dir / unique("str")), user="x-access-token",
                    password=token)
        self.assertNotEqual(clone.returncode, 0)
        self.assertIn("not found", clone.stderr)


class GitLabTests(unittest.TestCase):
    def setUp(self):
        self.developer, self.group_member = unique("dev"), unique("grp")
        self.name = f"{unique('group')}/sub/{unique('project')}"
        labctl("repo", "add", "--platform", "gitlab", self.name, "--writer", self.developer,
               "--group-writer", self.group_member, "--protect", "stable")
        self.encoded = urllib.parse.quote(self.name, safe="")

    def token(self, login: str, *extra: str) -> str:
        return labctl("token", "add", "--platform", "gitlab", "--user", login, *extra)

    def test_user_and_token_self(self):
        token = self.token(self.developer, "--expires", "2030-02-01")
        user = call("/gitlab/api/v4/user", {"PRIVATE-TOKEN": token})
        self.assertEqual(user.status, 200)
        self.assertEqual(user.json()["username"], self.developer)
        this = call("/gitlab/api/v4/personal_access_tokens/self", bearer(token))
        self.assertEqual(this.status, 200)
        self.assertEqual(this.json()["expires_at"], "2030-02-01")
        self.assertEqual(this.json()["scopes"], ["api", "write_repository"])
        self.assertEqual(this.json()["user_id"], user.json()["id"])
        self.assertTrue(this.json()["active"])

    def test_self_endpoint_missing_when_disabled(self):
        token = self.token(self.developer, "--no-self-endpoint")
        self.assertEqual(call("/gitlab/api/v4/personal_access_tokens/self", bearer(token)).status, 404)

    def test_token_errors(self):
        expired = self.token(self.developer)
        labctl("token", "expire", "-", stdin=expired)
        revoked = self.token(self.developer)
        labctl("token", "revoke", "-", stdin=revoked)
        unknown = call("/gitlab/api/v4/user", {"PRIVATE-TOKEN": "glpat-unknown"})
        self.assertEqual((unknown.status, unknown.json()), (401, {"message": "401 Unauthorized"}))
        expired_reply = call("/gitlab/api/v4/user", {"PRIVATE-TOKEN": expired})
        self.assertEqual(expired_reply.status, 401)
        self.assertEqual(expired_reply.json()["error"], "invalid_token")
        self.assertIn("Token is expired", expired_reply.json()["error_description"])
        self.assertIn('error="invalid_token"', expired_reply.headers["WWW-Authenticate"])
        revoked_reply = call("/gitlab/api/v4/user", {"PRIVATE-TOKEN": revoked})
        self.assertIn("Token was revoked", revoked_reply.json()["error_description"])

    def test_missing_scope_and_blocked_user(self):
        narrow = self.token(self.developer, "--scopes", "write_repository")
        scope = call("/gitlab/api/v4/user", {"PRIVATE-TOKEN": narrow})
        self.assertEqual(scope.status, 403)
        self.assertEqual(scope.json()["error"], "insufficient_scope")
        blocked = self.token(unique("blk"), "--blocked")
        reply = call("/gitlab/api/v4/user", {"PRIVATE-TOKEN": blocked})
        self.assertEqual(reply.status, 403)
        self.assertEqual(reply.json()["message"], "403 Forbidden - Your account has been blocked.")

    def test_project_lookup_by_path_and_id(self):
        token = self.token(self.developer)
        project = call(f"/gitlab/api/v4/projects/{self.encoded}", {"PRIVATE-TOKEN": token})
        self.assertEqual(project.status, 200)
        self.assertEqual(project.json()["path_with_namespace"], self.name)
        self.assertEqual(project.json()["permissions"]["project_access"]["access_level"], 30)
        by_id = call(f"/gitlab/api/v4/projects/{project.json()['id']}", {"PRIVATE-TOKEN": token})
        self.assertEqual(by_id.json()["path_with_namespace"], self.name)
        double = urllib.parse.quote(self.encoded, safe="")
        self.assertEqual(call(f"/gitlab/api/v4/projects/{double}", {"PRIVATE-TOKEN": token}).status, 404)

    def test_group_member_only_in_members_all(self):
        token = self.token(self.group_member)
        project = call(f"/gitlab/api/v4/projects/{self.encoded}", {"PRIVATE-TOKEN": token}).json()
        self.assertIsNone(project["permissions"]["project_access"])
        self.assertIsNone(project["permissions"]["group_access"])
        user_id = call("/gitlab/api/v4/user", {"PRIVATE-TOKEN": token}).json()["id"]
        member = call(f"/gitlab/api/v4/projects/{self.encoded}/members/all/{user_id}", {"PRIVATE-TOKEN": token})
        self.assertEqual(member.status, 200)
        self.assertEqual(member.json()["access_level"], 30)

    def test_protected_branch_and_push(self):
        token = self.token(self.developer)
        branch = call(f"/gitlab/api/v4/projects/{self.encoded}/repository/branches/main", {"PRIVATE-TOKEN": token})
        self.assertTrue(branch.json()["can_push"])
        missing = call(f"/gitlab/api/v4/projects/{self.encoded}/repository/branches/stable",
                       {"PRIVATE-TOKEN": token})
        self.assertEqual(missing.json(), {"message": "404 Branch Not Found"})
        clone = clone_and_commit(f"{lab_url}/gitlab/{self.name}.git", "oauth2", token)
        pushed = git("push", "origin", "main", cwd=clone, user="oauth2", password=token)
        self.assertEqual(pushed.returncode, 0, pushed.stderr)
        protected = git("push", "origin", "main:stable", cwd=clone, user="oauth2", password=token)
        self.assertIn("GitLab: You are not allowed to push code to protected branches on this project.",
                      protected.stderr)

    def test_read_only_scope_cannot_push(self):
        token = self.token(self.developer, "--scopes", "read_repository")
        clone = clone_and_commit(f"{lab_url}/gitlab/{self.name}.git", "oauth2", token)
        pushed = git("push", "origin", "main", cwd=clone, user="oauth2", password=token)
        self.assertNotEqual(pushed.returncode, 0)
        self.assertIn("You are not allowed to push code to this project.", pushed.stderr)

    def test_rate_limit(self):
        token = self.token(self.developer)
        labctl("ratelimit", "set", "--platform", "gitlab", "--reset-in", "20", "-", stdin=token)
        reply = call("/gitlab/api/v4/user", {"PRIVATE-TOKEN": token})
        self.assertEqual(reply.status, 429)
        self.assertEqual(reply.body, b"Retry later\n")
        self.assertEqual(reply.headers["RateLimit-Remaining"], "0")
        self.assertTrue(1 <= int(reply.headers["Retry-After"]) <= 20)
        self.assertIsNotNone(reply.headers["RateLimit-ResetTime"])


class BitbucketTests(unittest.TestCase):
    def setUp(self):
        self.login = unique("bea")
        self.email = f"{self.login}@corp.example"
        self.workspace = unique("ws")
        self.name = f"{self.workspace}/{unique('slug')}"
        labctl("repo", "add", "--platform", "bitbucket", self.name, "--writer", self.login)

    def test_api_token_logs_in_with_email_only(self):
        token = labctl("token", "add", "--platform", "bitbucket", "--user", self.login, "--kind", "api-token",
                       "--email", self.email)
        user = call("/bitbucket/2.0/user", basic(self.email, token))
        self.assertEqual(user.status, 200)
        self.assertEqual(user.json()["username"], self.login)
        self.assertIn("write:repository:bitbucket", user.headers["x-oauth-scopes"])
        refused = call("/bitbucket/2.0/user", basic(self.login, token))
        self.assertEqual(refused.status, 401)
        self.assertEqual(refused.json()["error"]["message"],
                         "Token is invalid, expired, or not supported for this endpoint.")

    def test_app_password_refuses_email(self):
        password = labctl("token", "add", "--platform", "bitbucket", "--user", self.login, "--kind", "app-password",
                          "--email", self.email)
        self.assertEqual(call("/bitbucket/2.0/user", basic(self.login, password)).status, 200)
        self.assertEqual(call("/bitbucket/2.0/user", basic(self.email, password)).status, 401)

    def test_access_token_and_missing_account_scope(self):
        access = labctl("token", "add", "--platform", "bitbucket", "--user", self.login, "--kind", "access-token")
        self.assertEqual(call("/bitbucket/2.0/user", bearer(access)).status, 403)
        repository = call(f"/bitbucket/2.0/repositories/{self.name}", bearer(access))
        self.assertEqual(repository.status, 200)
        self.assertEqual(repository.json()["mainbranch"]["name"], "main")
        narrow = labctl("token", "add", "--platform", "bitbucket", "--user", self.login, "--kind", "app-password",
                        "--scopes", "repository")
        reply = call("/bitbucket/2.0/user", basic(self.login, narrow))
        self.assertEqual(reply.status, 403)
        self.assertEqual(reply.json()["error"]["detail"]["required"], ["account"])

    def test_workspace_role_query_and_branch(self):
        token = labctl("token", "add", "--platform", "bitbucket", "--user", self.login)
        slug = self.name.split("/")[1]
        query = urllib.parse.urlencode({"role": "contributor", "q": f'name="{slug}"'})
        listed = call(f"/bitbucket/2.0/repositories/{self.workspace}?{query}", basic(self.login, token))
        self.assertEqual(listed.status, 200)
        self.assertEqual([value["full_name"] for value in listed.json()["values"]], [self.name])
        admin = call(f"/bitbucket/2.0/repositories/{self.workspace}?role=admin", basic(self.login, token))
        self.assertEqual(admin.json()["values"], [])
        branch = call(f"/bitbucket/2.0/repositories/{self.name}/refs/branches/main", basic(self.login, token))
        self.assertEqual(branch.json()["type"], "branch")
        self.assertEqual(call(f"/bitbucket/2.0/repositories/{self.workspace}/absent", basic(self.login, token)).status,
                         404)

    def test_git_push_with_each_kind(self):
        api_token = labctl("token", "add", "--platform", "bitbucket", "--user", self.login, "--kind", "api-token",
                           "--email", self.email)
        access = labctl("token", "add", "--platform", "bitbucket", "--user", self.login, "--kind", "access-token")
        url = f"{lab_url}/bitbucket/{self.name}.git"
        for user, secret in (("x-bitbucket-api-token-auth", api_token), ("x-token-auth", access)):
            clone = clone_and_commit(url, user, secret)
            pushed = git("pull", "--quiet", "--rebase", cwd=clone, user=user, password=secret)
            self.assertEqual(pushed.returncode, 0, pushed.stderr)
            pushed = git("push", "origin", "main", cwd=clone, user=user, password=secret)
            self.assertEqual(pushed.returncode, 0, pushed.stderr)
        stats = json.loads(labctl("repo", "stats", "--platform", "bitbucket", self.name))
        self.assertEqual(stats["pushes"], 2)

    def test_rate_limit(self):
        token = labctl("token", "add", "--platform", "bitbucket", "--user", self.login)
        labctl("ratelimit", "set", "--platform", "bitbucket", "--reset-in", "20", "-", stdin=token)
        reply = call("/bitbucket/2.0/user", basic(self.login, token))
        self.assertEqual(reply.status, 429)
        self.assertEqual(reply.json()["error"]["message"], "Rate limit for this resource has been exceeded")
        self.assertIsNotNone(reply.headers["Retry-After"])


class BitbucketDataCenterTests(unittest.TestCase):
    def setUp(self):
        self.login = unique("dan")
        self.project = unique("PRJ").upper()
        self.name = f"{self.project}/{unique('repo')}"
        labctl("repo", "add", "--platform", "bitbucket-dc", self.name, "--writer", self.login)

    def test_application_properties_names_user(self):
        token = labctl("token", "add", "--platform", "bitbucket-dc", "--user", self.login)
        reply = call("/bitbucket-dc/rest/api/1.0/application-properties", basic(self.login, token))
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.headers["X-AUSERNAME"], self.login)
        self.assertEqual(reply.json()["displayName"], "Bitbucket")
        refused = call("/bitbucket-dc/rest/api/1.0/application-properties", basic(self.login, "BBDC-wrong"))
        self.assertEqual(refused.status, 401)
        self.assertIn("Authentication failed", refused.json()["errors"][0]["message"])

    def test_project_token_needs_bearer(self):
        bot = unique("bot")
        labctl("repo", "add", "--platform", "bitbucket-dc", f"{self.project}/{unique('bots')}", "--writer", bot)
        token = labctl("token", "add", "--platform", "bitbucket-dc", "--user", bot, "--kind", "project-token")
        self.assertEqual(call("/bitbucket-dc/rest/api/1.0/application-properties", basic(bot, token)).status, 401)
        reply = call("/bitbucket-dc/rest/api/1.0/application-properties", bearer(token))
        self.assertEqual(reply.headers["X-AUSERNAME"], bot)

    def test_writable_repositories_and_branches(self):
        token = labctl("token", "add", "--platform", "bitbucket-dc", "--user", self.login)
        project, slug = self.name.split("/")
        query = urllib.parse.urlencode({"permission": "REPO_WRITE", "state": "AVAILABLE", "projectkey": project,
                                        "name": slug, "start": 0, "limit": 25})
        listed = call(f"/bitbucket-dc/rest/api/1.0/repos?{query}", bearer(token)).json()
        self.assertEqual([value["slug"] for value in listed["values"]], [slug])
        self.assertTrue(listed["isLastPage"])
        read_only = labctl("token", "add", "--platform", "bitbucket-dc", "--user", self.login, "--scopes", "REPO_READ")
        self.assertEqual(call(f"/bitbucket-dc/rest/api/1.0/repos?{query}", bearer(read_only)).json()["values"], [])
        branches = call(f"/bitbucket-dc/rest/api/1.0/projects/{project}/repos/{slug}/branches?filterText=mai",
                        bearer(token)).json()
        self.assertEqual([value["displayId"] for value in branches["values"]], ["main"])
        missing = call(f"/bitbucket-dc/rest/api/1.0/projects/{project}/repos/absent", bearer(token))
        self.assertEqual(missing.status, 404)

    def test_git_push_with_bearer_header(self):
        token = labctl("token", "add", "--platform", "bitbucket-dc", "--user", self.login, "--kind",
                       "repository-token")
        header = f"Authorization: Bearer {token}"
        clone = clone_and_commit(f"{lab_url}/bitbucket-dc/scm/{self.name}.git", "", "", extra_header=header)
        pushed = git("push", "origin", "main", cwd=clone, extra_header=header)
        self.assertEqual(pushed.returncode, 0, pushed.stderr)


class TransportTests(unittest.TestCase):
    def test_echo_decodes_chunked_and_gzip_bodies(self):
        client = connection()
        client.putrequest("POST", "/_lab/echo?x=1")
        client.putheader("Transfer-Encoding", "chunked")
        client.putheader("X-Custom", "one")
        client.endheaders()
        client.send(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        echo = json.loads(client.getresponse().read())
        client.close()
        self.assertEqual(echo["method"], "POST")
        self.assertEqual(echo["path"], "/_lab/echo")
        self.assertEqual(echo["query"], "x=1")
        self.assertEqual(echo["body"], "hello world")
        self.assertEqual(echo["headers"]["x-custom"], "one")

        import gzip
        zipped = call("/_lab/echo", {"Content-Encoding": "gzip"}, "POST", gzip.compress(b"packed")).json()
        self.assertEqual(zipped["body"], "packed")

    def test_status_redirect_and_big(self):
        self.assertEqual(call("/_lab/status/503").status, 503)
        target = f"https://127.0.0.1:{urllib.parse.urlsplit(lab_url).port}/_lab/echo"
        redirect = call("/_lab/redirect?" + urllib.parse.urlencode({"to": target, "status": "307"}))
        self.assertEqual((redirect.status, redirect.headers["Location"]), (307, target))
        outside = call("/_lab/redirect?" + urllib.parse.urlencode({"to": "https://example.com/"}))
        self.assertEqual(outside.status, 400)
        big = call("/_lab/big?bytes=100000")
        self.assertEqual(len(big.body), 100000)

    def test_truncated_and_malformed(self):
        with self.assertRaises(http.client.IncompleteRead):
            call("/_lab/truncated")
        with self.assertRaises(json.JSONDecodeError):
            call("/_lab/malformed-json").json()

    def test_endless_header_never_ends(self):
        client = connection(timeout=5)
        client.request("GET", "/_lab/endless-header")
        with self.assertRaises(http.client.HTTPException):
            client.getresponse()
        client.close()

    def test_stall_endpoint_and_port_send_nothing(self):
        with self.assertRaises(TimeoutError):
            call("/_lab/stall", timeout=0.5)
        port = urllib.parse.urlsplit(stall_url).port
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as raw:
            with self.assertRaises(TimeoutError):
                raw.recv(1)

    def test_stall_switch_by_prefix(self):
        labctl("stall", "on", "--prefix", "/bitbucket-dc/")
        try:
            with self.assertRaises(TimeoutError):
                call("/bitbucket-dc/rest/api/1.0/application-properties", timeout=0.5)
            self.assertEqual(call("/_lab/status/200").status, 200)
        finally:
            labctl("stall", "off")
        self.assertEqual(call("/bitbucket-dc/rest/api/1.0/application-properties").status, 200)

    def test_latency_delays_matching_responses(self):
        labctl("latency", "300", "--prefix", "/_lab/status/")
        try:
            started = time.monotonic()
            call("/_lab/status/200")
            self.assertGreaterEqual(time.monotonic() - started, 0.3)
        finally:
            labctl("latency", "0")


class LabctlTests(unittest.TestCase):
    def test_start_reuses_running_server(self):
        self.assertIn(f"export XAPI_LAB_URL={lab_url}", labctl("start"))

    def test_admin_endpoints_need_key(self):
        reply = call("/_lab/admin/status", {"X-Lab-Admin-Key": "wrong"}, "POST", b"{}")
        self.assertEqual(reply.status, 403)

    def test_errors_name_the_value(self):
        completed = subprocess.run([str(LABCTL), "repo", "add", "--platform", "github", "no-slash"],
                                   capture_output=True, text=True, env=environment, timeout=30)
        self.assertEqual(completed.returncode, 1)
        self.assertIn("invalid repository name 'no-slash' for github", completed.stderr)

    def test_tls_1_2_is_accepted(self):
        context = ssl.create_default_context(cafile=ca_file)
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        port = urllib.parse.urlsplit(lab_url).port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                self.assertEqual(tls.version(), "TLSv1.2")


if __name__ == "__main__":
    unittest.main()
