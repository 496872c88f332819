"""Bare Git repositories on disk, made and inspected with the git command line.

A new repository gets branch `main` with one commit that adds README.md, unless it is made empty. It also gets
`receive.denyNonFastForwards=true` and two hooks. The pre-receive hook rejects updates of the branches listed
in `lab-protected-branches` with the platform's message, and the post-receive hook counts accepted pushes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .state import LabError

# The message each platform's server prints when a push touches a protected branch; %s is the branch name.
PROTECTED_BRANCH_MESSAGES = {
    "github": "GH006: Protected branch update failed for refs/heads/%s.",
    "gitlab": "GitLab: You are not allowed to push code to protected branches on this project.",
    "bitbucket": "Branch \"%s\" is protected: you cannot push to it directly; create a pull request instead.",
    "bitbucket-dc": "Branch refs/heads/%s can only be modified through pull requests.",
}

PRE_RECEIVE_HOOK = """#!/bin/sh
# Rejects updates of the branches listed in lab-protected-branches, printing the platform's message.
status=0
while read -r old new ref; do
    branch=${ref#refs/heads/}
    if [ "$branch" != "$ref" ] && grep -qxF -- "$branch" "$GIT_DIR/lab-protected-branches" 2>/dev/null; then
        template=$(cat "$GIT_DIR/lab-protected-message")
        case "$template" in
            *%s*) printf "$template\\n" "$branch" >&2 ;;
            *) printf '%s\\n' "$template" >&2 ;;
        esac
        status=1
    fi
done
exit $status
"""

POST_RECEIVE_HOOK = """#!/bin/sh
# Counts accepted pushes for `labctl repo stats`: one line per push that updated refs.
cat >/dev/null
echo push >>"$GIT_DIR/lab-pushes"
"""


def git_environment() -> dict[str, str]:
    """Return an environment for git commands that ignores the user's and the system's git configuration."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": "/nonexistent",
        "LC_ALL": "C",
        "GIT_AUTHOR_NAME": "Lab",
        "GIT_AUTHOR_EMAIL": "lab@example.com",
        "GIT_COMMITTER_NAME": "Lab",
        "GIT_COMMITTER_EMAIL": "lab@example.com",
    }


def run_git(path: Path, *arguments: str, input_bytes: bytes | None = None) -> str:
    """Run `git -C path ARGUMENTS` and return its standard output without the final line end."""
    completed = subprocess.run(["git", "-C", str(path), *arguments], input=input_bytes, capture_output=True,
                               env=git_environment(), timeout=60)
    if completed.returncode != 0:
        raise LabError(f"git {' '.join(arguments)} failed in {path}: {completed.stderr.decode(errors='replace')}",
                       500)
    return completed.stdout.decode().rstrip("\n")


def create_repository(path: Path, platform: str, name: str, protected: list[str], empty: bool) -> None:
    """Create a bare repository at `path` with hooks, and its first commit unless `empty`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["git", "init", "--quiet", "--bare", "--template=", "--initial-branch=main", str(path)],
                       check=True, capture_output=True, env=git_environment(), timeout=60)
        run_git(path, "config", "receive.denyNonFastForwards", "true")
        run_git(path, "config", "http.receivepack", "true")

        hooks = path / "hooks"
        hooks.mkdir(exist_ok=True)
        for hook_name, script in (("pre-receive", PRE_RECEIVE_HOOK), ("post-receive", POST_RECEIVE_HOOK)):
            hook = hooks / hook_name
            hook.write_text(script)
            hook.chmod(0o755)
        (path / "lab-protected-message").write_text(PROTECTED_BRANCH_MESSAGES[platform])
        write_protected_branches(path, protected)

        if not empty:
            readme = f"# {name.rsplit('/', 1)[-1]}\n\nA repository of the xapi-git hosting lab.\n".encode()
            blob = run_git(path, "hash-object", "-w", "--stdin", input_bytes=readme)
            tree = run_git(path, "mktree", input_bytes=f"100644 blob {blob}\tREADME.md\n".encode())
            commit = run_git(path, "commit-tree", tree, "-m", "Initial commit")
            run_git(path, "update-ref", "refs/heads/main", commit)
    except (subprocess.SubprocessError, OSError, LabError) as error:
        shutil.rmtree(path, ignore_errors=True)
        raise LabError(f"creating repository {name!r} at {path} failed: {error}", 500) from error


def write_protected_branches(path: Path, branches: list[str]) -> None:
    (path / "lab-protected-branches").write_text("".join(branch + "\n" for branch in branches))


def branch_heads(path: Path) -> dict[str, str]:
    """Return every branch of the repository with the commit id it points at."""
    output = run_git(path, "for-each-ref", "--format=%(refname:lstrip=2) %(objectname)", "refs/heads/")
    heads = {}
    for line in output.splitlines():
        branch, _, commit = line.rpartition(" ")
        heads[branch] = commit
    return heads


def is_ancestor(path: Path, ancestor: str, descendant: str) -> bool:
    """Return whether commit `ancestor` is reachable from commit `descendant`."""
    completed = subprocess.run(["git", "-C", str(path), "merge-base", "--is-ancestor", ancestor, descendant],
                               capture_output=True, env=git_environment(), timeout=60)
    return completed.returncode == 0


def push_count(path: Path) -> int:
    """Return how many pushes updated refs, as counted by the post-receive hook."""
    try:
        return len((path / "lab-pushes").read_text().splitlines())
    except FileNotFoundError:
        return 0
