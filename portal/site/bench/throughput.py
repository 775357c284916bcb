"""Throughput under gunicorn: requests per second of a page beside trivial Django views served the same
way in the same run (2 sync workers, this process's database, DEBUG off).

Two baselines: ``/healthz`` (no session, one ``SELECT 1``) and the signed-in trivial views of
``portal.site.bench.baseline`` (the same session cookie or bearer token as the page, the same middleware,
no work of their own), which only this gunicorn serves (settings ``portal.site.bench.settings``).

The client is a few threads opening one connection per request (gunicorn's sync workers close them);
it shares the machine's cores with the server, as a reverse proxy would.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from portal.models import Tenant, User
from portal.services import SYSTEM
from portal.tokens import api_token_create

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str) -> dict:
    """The environment a production-like server runs in: DEBUG off, plain HTTP on the loopback (told
    it is behind a TLS proxy, so no redirect to https)."""
    return os.environ | {
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions made here are signed with it
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEHIND_TLS_PROXY": "true",
        # The product's settings with the URLconf that adds the baselines (not product surface).
        "DJANGO_SETTINGS_MODULE": "portal.site.bench.settings",
    }


@contextmanager
def gunicorn(database_url: str, *, workers: int = 2):
    """A gunicorn serving the portal on a free loopback port, until the block ends."""
    env = server_env(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)]
    # Its log goes nowhere: an unread pipe would fill up and stop the server mid-run.
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, **quiet)
    try:
        _wait_ready(port)
        yield port
    finally:
        server.terminate()  # graceful: the workers finish the requests they have
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def _wait_ready(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get(port, "/healthz", {}) == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


def get(port: int, path: str, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https", **headers})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def session_cookie(upn: str) -> dict:
    """A signed-in session for ``upn``, made directly in the session store (no password needed)."""
    user = User.objects.get(user_principal_name=upn)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the one that signs people in
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}"}


def bearer(upn: str) -> dict:
    user = User.objects.get(user_principal_name=upn)
    tenant = Tenant.objects.get(pk=user.tenant_id)
    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=user)
    return {"Authorization": f"Bearer {secret}"}


def hammer(port: int, path: str, headers: dict, *, seconds: float, threads: int = 3) -> dict:
    """Requests over ``seconds`` from ``threads`` clients: how many, the time, the statuses."""
    counts: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < stop:
            status = get(port, path, headers)
            with lock:
                counts[status] = counts.get(status, 0) + 1

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"requests": sum(counts.values()), "elapsed": time.monotonic() - started, "statuses": counts}


# (path, who, the signed-in baseline it is compared with): the heavy member's page, an administrator's
# API page of 100 groups, and the trivial views they are compared with.
CASES = [
    ("/healthz", "", ""),
    ("/bench/signed-in", "user@contoso.test", ""),
    ("/bench/page", "user@contoso.test", "/bench/signed-in"),
    ("/my/groups/", "user@contoso.test", "/bench/signed-in"),
    ("/v1.0/bench/signed-in", "admin@contoso.test", ""),
    ("/v1.0/groups?$top=100", "admin@contoso.test", "/v1.0/bench/signed-in"),
]
PASSES = 2  # every URL is measured in turns, so a change of load mid-run touches them all alike


def measure_throughput(database_url: str, *, seconds: float = 10) -> list[dict]:
    """Each case of CASES for ``seconds`` in all (in PASSES turns), with its ratios to /healthz and to
    its signed-in baseline."""
    cookie = session_cookie("user@contoso.test")
    token = bearer("admin@contoso.test")
    cases = [
        (path, (token if path.startswith("/v1.0/") else cookie) if who else {}, baseline)
        for path, who, baseline in CASES
    ]
    totals = {path: {"requests": 0, "elapsed": 0.0, "statuses": {}} for path, _, _ in cases}
    with gunicorn(database_url) as port:
        for path, headers, _ in cases:
            hammer(port, path, headers, seconds=1)  # warm both workers
        for _ in range(PASSES):
            for path, headers, _ in cases:
                run = hammer(port, path, headers, seconds=seconds / PASSES)
                total = totals[path]
                total["requests"] += run["requests"]
                total["elapsed"] += run["elapsed"]
                for status, n in run["statuses"].items():
                    total["statuses"][status] = total["statuses"].get(status, 0) + n
    rps = {path: t["requests"] / t["elapsed"] for path, t in totals.items()}
    return [
        {
            "path": path,
            "rps": rps[path],
            "baseline": baseline,
            "vs_healthz": rps[path] / rps["/healthz"] if rps["/healthz"] else 0,
            "vs_baseline": rps[path] / rps[baseline] if baseline and rps[baseline] else None,
            "statuses": totals[path]["statuses"],
        }
        for path, _, baseline in cases
    ]
