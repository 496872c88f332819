"""Run the lab server in the foreground: `python3 -m labserver --state DIR [--latency-ms N]`.

labctl starts it in the background. It binds 127.0.0.1 on a free port, writes server.json (pid and ports)
to the state directory, and exits by itself after six hours (set with --lifetime-hours).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import transport_tests
from .admin import Admin
from .bitbucket import Bitbucket
from .bitbucket_dc import BitbucketDataCenter
from .core import LabServer
from .extra_listeners import start_extra_listeners
from .github import GitHub
from .gitlab import GitLab
from .state import LabState


def main() -> int:
    parser = argparse.ArgumentParser(prog="python3 -m labserver", description="Run the hosting lab server.")
    parser.add_argument("--state", required=True, help="state directory with certificates, admin.key and state.json")
    parser.add_argument("--latency-ms", type=int, default=0, help="milliseconds to wait before every response")
    parser.add_argument("--lifetime-hours", type=float, default=6.0, help="hours after which the server exits")
    parser.add_argument("--port", type=int, default=0, help="port to bind if free (default: any free port)")
    parser.add_argument("--stall-port", type=int, default=0, help="port of the silent listener if free")
    parser.add_argument("--expired-port", type=int, default=0,
                        help="port of the listener with an expired certificate if free")
    parser.add_argument("--wrong-host-port", type=int, default=0,
                        help="port of the listener whose certificate names another host if free")
    parser.add_argument("--verbose", action="store_true", help="log connection-level debug messages too")
    arguments = parser.parse_args()

    logging.basicConfig(level=logging.DEBUG if arguments.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(threadName)s %(message)s")
    log = logging.getLogger("lab")
    state_dir = Path(arguments.state).resolve()

    state = LabState(state_dir)
    certificate, key = str(state_dir / "server.pem"), str(state_dir / "server.key")
    try:
        server = LabServer(state, certificate, key, arguments.latency_ms, arguments.port, arguments.stall_port)
    except OSError as error:
        log.info("port %d is not free (%s): binding any free port", arguments.port, error)
        server = LabServer(state, certificate, key, arguments.latency_ms, 0, arguments.stall_port)
    server.admin_key = (state_dir / "admin.key").read_text().strip()

    admin = Admin(state)
    server.add_route("/_lab/admin", admin.handle)
    server.add_route("/_lab", transport_tests.handle)
    for platform, prefix in ((GitHub(), "/github"), (GitLab(), "/gitlab"), (Bitbucket(), "/bitbucket"),
                             (BitbucketDataCenter(), "/bitbucket-dc")):
        server.add_route(prefix, platform.handle)
    server.start_stall_listener()
    expired, wrong_host = start_extra_listeners(server, state_dir, arguments.expired_port, arguments.wrong_host_port)

    info_file = state_dir / "server.json"
    ports = {"port": server.port, "stall_port": server.stall_listener.port, "expired_port": expired.port,
             "wrong_host_port": wrong_host.port}
    info = {"pid": os.getpid(), **ports, "started_at": time.time()}
    temporary = info_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(info))
    os.replace(temporary, info_file)
    # A restarted server binds the same ports again when they are free, so exported URLs stay valid.
    (state_dir / "ports.json").write_text(json.dumps(ports))

    def stop(reason: str) -> None:
        log.info("stopping: %s", reason)
        threading.Thread(target=server.shutdown, daemon=True).start()

    lifetime = threading.Timer(arguments.lifetime_hours * 3600, stop, ["lifetime of %s hours reached"
                                                                       % arguments.lifetime_hours])
    lifetime.daemon = True
    lifetime.start()
    signal.signal(signal.SIGTERM, lambda number, frame: stop("SIGTERM received"))

    log.info("listening on https://localhost:%d (stall port %d, expired certificate port %d, wrong-host certificate "
             "port %d), pid %d", server.port, server.stall_listener.port, expired.port, wrong_host.port, os.getpid())
    try:
        server.serve_forever()
    finally:
        try:
            if json.loads(info_file.read_text()).get("pid") == os.getpid():
                info_file.unlink()
        except (OSError, ValueError):
            pass
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
