"""`make bench`: the real workload, our proxy against the Express comparator and the upstream
floor, in one run, on the deployed shape (the servers under test pinned to one CPU).

Two upstream stand-ins: one that answers at once (the proxies' own cost shows) and one that
answers after 150 ms, as TikTok does (what a login sees). For each: exchanges at 1, 8 and 32
concurrent callers over keep-alive connections (wrk), medians of rounds that alternate the
servers. Then CPU seconds per 1,000 exchanges and resident memory (from /proc), and cold start
(spawn to first successful exchange) of ours, of a bare functions-framework function (the
framework's floor) and of the comparator. Targets are ratios within the run: these machines
are noisy, so compare ratios, not figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from bench.servers import (
    BENCH,
    LOAD_CPUS,
    PROXY_SECRET,
    BareFunction,
    NodeServer,
    OurProxy,
    Upstream,
    cpu_list,
    cpu_seconds,
    express,
    first_exchange_seconds,
    rss_kib,
)
from devtools.proxy_process import ProxyProcess

RESULTS = BENCH / "results.json"
CALLERS = (1, 8, 32)
TIKTOK_DELAY_MS = 150
SERVERS = ("direct", "express", "ours")
# name: (description, operator, limit)
TARGETS: dict[str, tuple[str, str, float]] = {
    "p99_8_vs_express": ("p99 at 8 callers, ours / express", "<=", 1.0),
    "cpu_vs_express": ("CPU per exchange, ours / express", "<=", 2.0),
    "cold_start_vs_floor": ("cold start, ours / bare functions-framework", "<=", 1.2),
    "added_p50_32_ms": ("150 ms upstream, 32 callers: p50 added to the upstream's (ms)", "<", 2.0),
    "added_p99_32_ms": ("150 ms upstream, 32 callers: p99 added to the upstream's (ms)", "<", 10.0),
    "rps_32_slow": ("150 ms upstream, 32 callers: exchanges per second", ">=", 100.0),
}


def wrk(url: str, callers: int, seconds: float) -> dict[str, Any]:
    """One wrk run; requests/s, p50/p99 in ms, and failures (non-2xx or socket errors)."""
    result = subprocess.run(
        [
            "taskset",
            "-c",
            cpu_list(LOAD_CPUS),
            "wrk",
            f"-t{1 if callers == 1 else 2}",
            f"-c{callers}",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(BENCH / "wrk_post.lua"),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
        env={"BENCH_PROXY_SECRET": PROXY_SECRET, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "failures": {kind: raw[kind] for kind in ("non2xx", "connect", "read", "write", "timeout")},
    }


def measure(
    urls: dict[str, str],
    pids: dict[str, Callable[[], list[int]]],
    rounds: int,
    seconds: float,
) -> dict[str, Any]:
    """Rounds alternating the servers; per server and caller count, the medians; CPU totals."""
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {n: {c: [] for c in CALLERS} for n in urls}
    cpu = {name: 0.0 for name in pids}
    exchanges = {name: 0 for name in pids}
    for url in urls.values():
        wrk(url, 32, 2)  # warm: connections, pools, caches
    for number in range(rounds):
        print(f"  round {number + 1}/{rounds}", flush=True)
        for name, url in urls.items():
            wrk(url, 8, 1)  # re-warm: pools idle out while the other servers are measured
            for callers in CALLERS:
                before = cpu_seconds(pids[name]()) if name in pids else 0.0
                run = wrk(url, callers, seconds)
                if name in pids:
                    cpu[name] += cpu_seconds(pids[name]()) - before
                    exchanges[name] += run["requests"]
                runs[name][callers].append(run)
    summary: dict[str, Any] = {}
    for name, by_callers in runs.items():
        summary[name] = {
            str(callers): {
                key: statistics.median(r[key] for r in results)
                for key in ("rps", "p50_ms", "p99_ms")
            }
            | {"failures": _add_failures(r["failures"] for r in results)}
            for callers, results in by_callers.items()
        }
        if name in pids:
            summary[name]["cpu_s_per_1000"] = 1000 * cpu[name] / max(exchanges[name], 1)
            summary[name]["rss_mib"] = rss_kib(pids[name]()) / 1024
    return summary


def _add_failures(runs: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for failures in runs:
        for kind, count in failures.items():
            if count:
                total[kind] = total.get(kind, 0) + count
    return total


def cold_starts(
    upstream: Upstream, count: int, overrides: dict[str, str]
) -> dict[str, list[float]]:
    """Spawn to first successful exchange, in ms, alternating the three kinds of server."""
    times: dict[str, list[float]] = {"floor": [], "express": [], "ours": []}
    for _ in range(count):
        for name, results in times.items():
            server: NodeServer | ProxyProcess
            if name == "floor":
                server = BareFunction()
            elif name == "express":
                server = express(upstream)
            else:
                server = OurProxy(upstream, **overrides)
            t0 = time.perf_counter()
            server.spawn()
            try:
                results.append(first_exchange_seconds(server.token_url, t0) * 1000)
            finally:
                server.stop()
    return times


def phase(
    upstream: Upstream, rounds: int, seconds: float, overrides: dict[str, str]
) -> dict[str, Any]:
    comparator = express(upstream).start()
    ours = OurProxy(upstream, **overrides).start()
    try:
        return measure(
            {"direct": upstream.token_url, "express": comparator.token_url, "ours": ours.token_url},
            {"express": lambda: comparator.pids, "ours": lambda: ours.pids},
            rounds,
            seconds,
        )
    finally:
        ours.stop()
        comparator.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-starts", type=int, default=7)
    parser.add_argument(
        "--proxy-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="run our proxy with this variable changed from the deployed environment "
        "(e.g. WORKERS=2 or UPSTREAM_MAX_CONNECTIONS=4), to measure an alternative",
    )
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.proxy_env)
    for tool in ("wrk", "taskset", "node"):
        if shutil.which(tool) is None:
            print(f"{tool} is required (make bench installs wrk)", file=sys.stderr)
            return 2
    load = os.getloadavg()
    fast, slow = Upstream().start(), Upstream(TIKTOK_DELAY_MS).start()
    try:
        print("upstream that answers at once", flush=True)
        at_once = phase(fast, args.rounds, args.seconds, overrides)
        print(f"upstream that answers after {TIKTOK_DELAY_MS} ms", flush=True)
        tiktok_like = phase(slow, args.rounds, args.seconds, overrides)
        print("cold starts", flush=True)
        cold = cold_starts(fast, args.cold_starts, overrides)
    finally:
        fast.stop()
        slow.stop()
    report = build_report(at_once, tiktok_like, cold, load, os.getloadavg())
    report["proxy_env_overrides"] = overrides
    print(render(report))
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nfigures written to {RESULTS}")
    return 0


def build_report(
    at_once: dict[str, Any],
    tiktok_like: dict[str, Any],
    cold: dict[str, list[float]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> dict[str, Any]:
    cold_ms = {name: statistics.median(values) for name, values in cold.items()}
    ours, theirs = at_once["ours"], at_once["express"]
    slow32, floor32 = tiktok_like["ours"]["32"], tiktok_like["direct"]["32"]
    reached = {
        "p99_8_vs_express": ours["8"]["p99_ms"] / theirs["8"]["p99_ms"],
        "cpu_vs_express": ours["cpu_s_per_1000"] / theirs["cpu_s_per_1000"],
        "cold_start_vs_floor": cold_ms["ours"] / cold_ms["floor"],
        "added_p50_32_ms": slow32["p50_ms"] - floor32["p50_ms"],
        "added_p99_32_ms": slow32["p99_ms"] - floor32["p99_ms"],
        "rps_32_slow": slow32["rps"],
    }
    met = {
        key: (value <= limit if op == "<=" else value < limit if op == "<" else value >= limit)
        for key, value in reached.items()
        for _, op, limit in [TARGETS[key]]
    }
    return {
        "shape": {"cpus_under_test": 1, "callers": list(CALLERS), "tiktok_ms": TIKTOK_DELAY_MS},
        "load_average": {"before": load_before, "after": load_after},
        "upstream_at_once": at_once,
        "upstream_150ms": tiktok_like,
        "cold_start_ms": {"median": cold_ms, "all": cold},
        "targets": {key: f"{op} {limit}" for key, (_, op, limit) in TARGETS.items()},
        "reached": reached,
        "met": met,
    }


def render(report: dict[str, Any]) -> str:
    before, after = report["load_average"]["before"], report["load_average"]["after"]
    load = "load average (1, 5, 15 min): before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}"
    out = [load.format(*before, *after)]
    for title, key in (
        ("upstream that answers at once", "upstream_at_once"),
        (f"upstream that answers after {TIKTOK_DELAY_MS} ms", "upstream_150ms"),
    ):
        s = report[key]
        out += ["", f"{title:34}{'direct':>10}{'express':>10}{'ours':>10}{'ours/expr':>11}"]
        for callers in map(str, CALLERS):
            for label, field, fmt in (
                ("exchanges/s", "rps", "{:.0f}"),
                ("p50 ms", "p50_ms", "{:.2f}"),
                ("p99 ms", "p99_ms", "{:.2f}"),
            ):
                cells = "".join(f"{fmt.format(s[n][callers][field]):>10}" for n in SERVERS)
                ratio = s["ours"][callers][field] / s["express"][callers][field]
                out.append(f"  {callers:>2} callers, {label:20}{cells}{ratio:>10.2f}x")
        failed = [_add_failures(s[n][c]["failures"] for c in map(str, CALLERS)) for n in SERVERS]
        cells = "".join(f"{sum(f.values()):>10}" for f in failed)
        kinds = "; ".join(f"{n}: {f}" for n, f in zip(SERVERS, failed, strict=True) if f)
        out.append(f"  {'failed exchanges':32}{cells}  {kinds}")
        if "cpu_s_per_1000" in s["ours"]:
            cpu = f"{s['express']['cpu_s_per_1000']:>10.3f}{s['ours']['cpu_s_per_1000']:>10.3f}"
            ratio = s["ours"]["cpu_s_per_1000"] / s["express"]["cpu_s_per_1000"]
            out.append(f"  {'CPU s per 1,000 exchanges':32}{'':>10}{cpu}{ratio:>10.2f}x")
            rss = f"{s['express']['rss_mib']:>10.1f}{s['ours']['rss_mib']:>10.1f}"
            out.append(f"  {'resident memory after load (MiB)':32}{'':>10}{rss}")
    cold = report["cold_start_ms"]["median"]
    out += [
        "",
        f"{'cold start, median ms':34}{'floor':>10}{'express':>10}{'ours':>10}",
        f"  {'spawn to first exchange':32}{cold['floor']:>10.0f}{cold['express']:>10.0f}"
        f"{cold['ours']:>10.0f}",
        "",
        "targets",
    ]
    for key, (label, op, limit) in TARGETS.items():
        verdict = "met" if report["met"][key] else "MISSED"
        out.append(f"  {label:66} {report['reached'][key]:8.2f}  {op} {limit:g}  {verdict}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
