"""One load run: plan, gunicorn (2 workers, this database), locust headless for a bounded time against
127.0.0.1, then the checks (portal.site.load.verify)."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import close_old_connections
from django.utils import timezone

from portal.models import Tenant
from portal.site.bench.throughput import gunicorn
from portal.site.load.plan import build_plan
from portal.site.load.verify import read_log, verify

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass
class LoadReport:
    seconds: float
    users: int
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    writes: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    table: list[dict] = field(default_factory=list)
    server_errors: dict = field(default_factory=dict)  # status → count
    unavailable: tuple[float, float] | None = None  # first and last 503, seconds into the load


@dataclass(frozen=True)
class Fault:
    """A shell command run ``at`` seconds into the load (restart the database, kill a worker ...)."""

    command: str
    at: float


def run_load(
    database_url: str, *, seconds: int, users: int, seed: int = 3, fault: Fault | None = None
) -> LoadReport:
    tenant = Tenant.objects.get(slug="contoso")
    report = LoadReport(seconds=seconds, users=users)
    with tempfile.TemporaryDirectory(prefix="groupdesk-load-") as work:
        work = Path(work)
        plan, log = work / "plan.json", work / "log.jsonl"
        plan.write_text(json.dumps(build_plan(tenant, rng=random.Random(seed))), encoding="utf-8")
        since = timezone.now()
        with gunicorn(database_url) as port:
            started = time.time()
            _locust(port, plan, log, work / "stats", seconds=seconds, users=users, fault=fault)
        entries = read_log(log)
        report.writes = {kind: sum(e["kind"] == kind for e in entries) for kind in ("add", "describe")}
        errors = [e for e in entries if e["kind"] == "5xx"]
        report.server_errors = dict(Counter(e["status"] for e in errors))
        if away := sorted(e["at"] - started for e in errors if e["status"] == 503):
            report.unavailable = (away[0], away[-1])
        report.table = _stats(work / "stats_stats.csv")
        total = next((row for row in report.table if row["Name"] == "Aggregated"), {})
        report.requests = int(total.get("Request Count", 0))
        report.failures = int(total.get("Failure Count", 0))
        report.rps = float(total.get("Requests/s", 0))
        close_old_connections()  # after a fault, this process's connection may be a dead one
        report.problems = verify(tenant, entries, since=since, allow_503=fault is not None)
    return report


def _locust(
    port: int, plan: Path, log: Path, stats: Path, *, seconds: int, users: int, fault: Fault | None
) -> None:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--host", f"http://127.0.0.1:{port}", "-u", str(users), "-r", str(max(1, users // 5)),
        "-t", f"{seconds}s", "--stop-timeout", "10", "--csv", str(stats), "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = os.environ | {"LOAD_PLAN": str(plan), "LOAD_LOG": str(log)}
    locust = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if fault is not None:
        time.sleep(fault.at)
        subprocess.run(fault.command, shell=True, check=False, timeout=300)  # noqa: S602 (the operator's own)
    try:
        _, stderr = locust.communicate(timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        locust.kill()
        raise
    if locust.returncode:
        raise RuntimeError(f"locust failed:\n{stderr[-3000:]}")


def _stats(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))
