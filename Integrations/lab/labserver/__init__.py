"""The hosting lab: a local HTTPS server that emulates the REST APIs of GitHub, GitLab, Bitbucket Cloud and
Bitbucket Data Center and serves real Git repositories through `git http-backend`, for tests and demos.

The server binds 127.0.0.1 only. `labctl` (next to this package) starts it and manages its tokens and
repositories through the admin endpoints under `/_lab/admin/`.
"""
