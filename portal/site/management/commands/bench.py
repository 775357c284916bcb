"""One performance report: pages, transitive membership, throughput (and, asked for, bench_rules).

    manage.py bench --demo-url postgres://.../gd_demo --large-url postgres://.../gd_large

measures every page on both databases (the demo tenant, and ``seed_demo --users 100000 --groups
10000``) and prints them side by side with the ratio; transitive membership and throughput run on the
large one. Without the URLs, everything runs on this process's database (``--json`` prints the raw
figures: that is how the comparison runs each side). Small flags (``--rounds 3 --seconds 2``) make a
smoke run; ``--pages discover,members`` measures only the pages whose name contains one of those texts.
Each figure is printed beside its baseline from the same run, and the load average beside each section:
the machine may be shared. The page sizes (KB) show where a large tenant fills a page the demo doesn't.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal.site.bench.command_support import this_database_url
from portal.site.bench.pages import PAGES, measure_pages, percentile
from portal.site.bench.throughput import measure_throughput
from portal.site.bench.transitive import measure_transitive

PARTS = ("pages", "transitive", "throughput", "rules")
TURNS = 4  # the demo and large page runs alternate this many times


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Command(BaseCommand):
    help = "Performance report: pages (demo vs large tenant), transitive membership, throughput, rules."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--parts", default="pages,transitive,throughput", help=f"Of {', '.join(PARTS)}")
        parser.add_argument("--demo-url", default="", help="Database of the demo tenant (plain seed_demo)")
        parser.add_argument("--large-url", default="", help="Database of the large tenant")
        parser.add_argument("--rounds", type=int, default=20, help="Requests per page / calls per case")
        parser.add_argument("--seconds", type=float, default=10, help="Throughput: seconds per URL")
        parser.add_argument("--json", action="store_true", help="Print the raw figures as JSON")
        parser.add_argument(
            "--pages",
            default="",
            help="Only the pages whose name contains one of these comma-separated texts (case-insensitive)",
        )

    def handle(self, *args, parts: str, demo_url: str, large_url: str, rounds: int, seconds: float, **o):
        wanted = [p.strip() for p in parts.split(",") if p.strip()]
        if unknown := set(wanted) - set(PARTS):
            raise CommandError(f"Unknown parts: {', '.join(sorted(unknown))}")
        self.pages = o["pages"]
        if "pages" in wanted and not pages_named(self.pages):
            raise CommandError(f"No page matches --pages {self.pages!r}.")
        if demo_url or large_url:
            if not (demo_url and large_url):
                raise CommandError("Give both --demo-url and --large-url (or neither).")
            figures = self._compare(wanted, demo_url, large_url, rounds, seconds)
        else:
            figures = self._measure(wanted, rounds, seconds, this_database_url())
        if o["json"]:
            self.stdout.write(json.dumps(figures, default=str))
        else:
            self.stdout.write(report(figures))
        if "rules" in wanted:
            call_command("bench_rules", stdout=self.stdout)

    def _measure(self, wanted: list[str], rounds: int, seconds: float, url: str) -> dict:
        figures: dict = {"vendor": connection.vendor}
        if "pages" in wanted:
            figures["pages"] = {"load": load(), "rows": measure_pages(rounds, pages_named(self.pages))}
        if "transitive" in wanted:
            figures["transitive"] = {"load": load(), **measure_transitive(max(rounds, 5) * 2)}
        if "throughput" in wanted:
            before = load()
            rows = measure_throughput(url, seconds=seconds)
            figures["throughput"] = {"load": f"{before} before, {load()} after", "rows": rows}
        return figures

    def _compare(self, wanted: list[str], demo_url: str, large_url: str, rounds: int, seconds: float) -> dict:
        """The pages of both databases measured in turns (demo, large, demo, large ...), their samples
        pooled: on a shared machine the load changes by the minute, and both sides should see the same."""
        large = run_side(large_url, [p for p in wanted if p not in ("pages", "rules")], rounds, seconds)
        pages = self.pages
        if "pages" in wanted:
            turns = max(1, min(TURNS, rounds // 5))
            small_runs, large_runs = [], []
            for _ in range(turns):
                each = max(1, rounds // turns)
                small_runs.append(run_side(demo_url, ["pages"], each, seconds, pages)["pages"])
                large_runs.append(run_side(large_url, ["pages"], each, seconds, pages)["pages"])
            large["pages"], large["demo_pages"] = pooled(large_runs), pooled(small_runs)
        large.setdefault("vendor", "postgresql" if large_url.startswith("postgres") else "sqlite")
        return large


def pooled(runs: list[dict]) -> dict:
    """One page table from several runs: each page's samples together, its last query count."""
    rows = []
    for same in zip(*(run["rows"] for run in runs), strict=True):
        times = [t for row in same for t in row["times"]]
        rows.append(
            same[-1] | {"times": times, "p50": statistics.median(times), "p95": percentile(times, 0.95)}
        )
    return {"load": " / ".join(run["load"] for run in runs), "rows": rows}


def pages_named(texts: str) -> list:
    """The pages whose name contains one of the comma-separated ``texts`` (every page when empty)."""
    wanted = [t.strip().lower() for t in texts.split(",") if t.strip()]
    return [page for page in PAGES if not wanted or any(t in page.name.lower() for t in wanted)]


def run_side(url: str, parts: list[str], rounds: int, seconds: float, pages: str = "") -> dict:
    if not parts:
        return {}
    command = [sys.executable, "manage.py", "bench", "--json", "--parts", ",".join(parts)]
    command += ["--rounds", str(rounds), "--seconds", str(seconds), "--pages", pages]
    done = subprocess.run(
        command, cwd=settings.BASE_DIR, env=os.environ | {"DATABASE_URL": url}, capture_output=True, text=True
    )
    if done.returncode:
        raise CommandError(f"bench on {url} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(figures: dict) -> str:
    lines = [f"Database: {figures.get('vendor')}"]
    if pages := figures.get("pages"):
        lines += pages_report(pages, figures.get("demo_pages"))
    if transitive := figures.get("transitive"):
        lines += transitive_report(transitive)
    if throughput := figures.get("throughput"):
        lines += throughput_report(throughput)
    return "\n".join(lines)


def pages_report(large: dict, small: dict | None) -> list[str]:
    lines = ["", f"Pages (ms, in process; load average {large['load']}"]
    if small is None:
        lines[-1] += ")"
        lines.append(f"{'page':<42} {'status':>6} {'queries':>7} {'p50':>8} {'p95':>8} {'KB':>7}")
        for row in large["rows"]:
            lines.append(
                f"{row['page']:<42} {row['status']:>6} {row['queries']:>7} {row['p50']:>8.1f} "
                f"{row['p95']:>8.1f} {row['bytes'] / 1024:>7.0f}"
            )
        return lines
    lines[-1] += f" at the large size, {small['load']} at the demo size)"
    lines.append(
        f"{'page':<42} {'queries demo/large':>18} {'demo p50':>9} {'p95':>7} {'large p50':>10} {'p95':>7} {'p95 ×':>6}"
        f" {'KB demo/large':>14}"
    )
    for big, demo in zip(large["rows"], small["rows"], strict=True):
        ratio = big["p95"] / demo["p95"] if demo["p95"] else 0
        flag = "" if ratio <= 1.3 and big["queries"] == demo["queries"] else "  <-"
        queries = f"{demo['queries']}/{big['queries']}"
        lines.append(
            f"{big['page']:<42} {queries:>18} {demo['p50']:>9.1f} {demo['p95']:>7.1f} "
            f"{big['p50']:>10.1f} {big['p95']:>7.1f} {ratio:>6.2f}"
            f" {demo['bytes'] / 1024:>6.0f}/{big['bytes'] / 1024:<7.0f}{flag}"
        )
    return lines


def transitive_report(t: dict) -> list[str]:
    lines = [
        "",
        f"Transitive membership (ms; depth {t['depth']}, {t['groups']:,} groups, {t['edges']:,} membership "
        f"edges; U in {t['groups_of_u']:,} groups, G has {t['members_of_g']:,} users through "
        f"{t['nested_in_g']:,} nested groups; load average {t['load']})",
        f"{'case':<46} {'portal p50':>10} {'p95':>7} {'hand p50':>9} {'p95':>7} {'p95 ×':>6}",
    ]
    for case in t["cases"]:
        mine, hand = case["portal"], case["hand"]
        if hand:
            ratio = mine["p95"] / hand["p95"] if hand["p95"] else 0
            tail = f"{hand['p50']:>9.2f} {hand['p95']:>7.2f} {ratio:>6.2f}"
        else:
            tail = f"{'':>9} {'':>7} {'':>6}"
        lines.append(f"{case['case']:<46} {mine['p50']:>10.2f} {mine['p95']:>7.2f} {tail}")
    floor = t["floor"]
    lines.append(
        f"{'floor: ' + format(floor['ids'], ',') + ' user ids, one plain read':<46} {floor['p50']:>10.2f} "
        f"{floor['p95']:>7.2f}   (what receiving that many ids costs here: no query returning them is faster)"
    )
    if t.get("by_level"):
        lines.append("all members of G for each group of the deepest chain, bottom (1) to top:")
        for row in t["by_level"]:
            mine, hand = row["portal"], row["hand"]
            ratio = mine["p95"] / hand["p95"] if hand["p95"] else 0
            name = f"  level {row['level']}: {row['ids']:,} user ids"
            lines.append(
                f"{name:<46} {mine['p50']:>10.2f} {mine['p95']:>7.2f} {hand['p50']:>9.2f} {hand['p95']:>7.2f} "
                f"{ratio:>6.2f}"
            )
    return lines


def throughput_report(t: dict) -> list[str]:
    lines = [
        "",
        f"Throughput under gunicorn, 2 sync workers (req/s; load average {t['load']})",
        f"{'URL':<28} {'req/s':>8} {'× /healthz':>10}  {'× signed-in baseline':<34} statuses",
    ]
    for row in t["rows"]:
        versus = f"{row['vs_baseline']:>5.2f} (of {row['baseline']})" if row.get("baseline") else ""
        lines.append(
            f"{row['path']:<28} {row['rps']:>8.1f} {row['vs_healthz']:>10.2f}  {versus:<34} {row['statuses']}"
        )
    return lines
