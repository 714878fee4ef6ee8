"""`make bench`: direct-to-upstream, the Express comparator and our proxy, measured in one run.

Every figure is taken in the same run on the same machine and reported as a ratio to the
comparator, because these machines are noisy. Load comes from wrk over keep-alive connections;
throughput and latency are medians over several rounds that alternate the servers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.servers import (
    BENCH,
    PROXY_SECRET,
    OurProxy,
    Upstream,
    express,
    first_exchange_seconds,
    rss_kib,
)

RESULTS = BENCH / "results.json"
TARGETS = {  # ours / comparator
    "rps_64": (">=", 1.2),
    "p99_64": ("<=", 0.5),
    "p50_1": ("<=", 1.0),
    "cold_start": ("<=", 1.5),
}
MAX_CONNECTIONS_PER_1000 = 2.0


@dataclass
class Figures:
    rps_64: list[float] = field(default_factory=list)
    p50_64_ms: list[float] = field(default_factory=list)
    p99_64_ms: list[float] = field(default_factory=list)
    rps_1: list[float] = field(default_factory=list)
    p50_1_ms: list[float] = field(default_factory=list)
    p99_1_ms: list[float] = field(default_factory=list)
    errors: int = 0
    exchanges: int = 0
    upstream_connections: int = 0
    cold_start_ms: list[float] = field(default_factory=list)
    rss_mib: float = 0.0


def wrk(url: str, connections: int, seconds: float) -> dict[str, Any]:
    threads = 1 if connections == 1 else 2
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(BENCH / "wrk_post.lua"),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
        env={"BENCH_PROXY_SECRET": PROXY_SECRET, "PATH": "/usr/bin:/bin"},
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("WRK_JSON "))
    summary: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    return summary


def measure_round(
    name: str, url: str, upstream: Upstream, figures: Figures, seconds: float
) -> None:
    wrk(url, 64, 1)  # warm: pools idle out while the other servers are measured
    before = upstream.stats()
    for connections, rps, p50, p99 in (
        (1, figures.rps_1, figures.p50_1_ms, figures.p99_1_ms),
        (64, figures.rps_64, figures.p50_64_ms, figures.p99_64_ms),
    ):
        run = wrk(url, connections, seconds if connections == 64 else seconds / 2)
        rps.append(run["rps"])
        p50.append(run["p50_us"] / 1000)
        p99.append(run["p99_us"] / 1000)
        figures.errors += run["non2xx"] + run["socket_errors"]
    after = upstream.stats()
    figures.exchanges += after["requests"] - before["requests"]
    figures.upstream_connections += after["connections"] - before["connections"]
    rps, p50 = figures.rps_64[-1], figures.p50_1_ms[-1]
    print(f"  {name:<8} {rps:7.0f} req/s at 64 callers, p50 {p50:.2f} ms at 1")


def cold_starts(upstream: Upstream, rounds: int) -> tuple[list[float], list[float]]:
    comparator, ours = [], []
    for _ in range(rounds):
        server = express(upstream)
        t0 = time.perf_counter()
        server.start_without_wait()
        comparator.append(first_exchange_seconds(server.url + "/proxy/token", t0) * 1000)
        server.stop()
        proxy = OurProxy(upstream)
        t0 = time.perf_counter()
        proxy.spawn()
        ours.append(first_exchange_seconds(proxy.token_url, t0) * 1000)
        proxy.stop()
    return comparator, ours


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each 64-caller run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-starts", type=int, default=7)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is required: apt-get install wrk", file=sys.stderr)
        return 2
    upstream = Upstream().start()
    comparator = express(upstream).start()
    ours = OurProxy(upstream).start()
    servers: dict[str, tuple[str, Figures]] = {
        "direct": (upstream.token_url, Figures()),
        "express": (comparator.url + "/proxy/token", Figures()),
        "ours": (ours.token_url, Figures()),
    }
    try:
        print("warming up")
        for url, _ in servers.values():
            wrk(url, 64, 2)
        for round_number in range(args.rounds):
            print(f"round {round_number + 1}/{args.rounds}")
            for name, (url, figures) in servers.items():
                measure_round(name, url, upstream, figures, args.seconds)
        servers["express"][1].rss_mib = rss_kib(comparator.pids) / 1024
        servers["ours"][1].rss_mib = rss_kib(ours.pids) / 1024
        servers["direct"][1].rss_mib = rss_kib(upstream.pids) / 1024
    finally:
        ours.stop()
        comparator.stop()
    print("cold starts")
    express_cold, ours_cold = cold_starts(upstream, args.cold_starts)
    servers["express"][1].cold_start_ms = express_cold
    servers["ours"][1].cold_start_ms = ours_cold
    upstream.stop()
    report = build_report({name: figures for name, (_, figures) in servers.items()})
    print(render(report))
    RESULTS.write_text(json.dumps(report, indent=2))
    print(f"\nfigures written to {RESULTS}")
    return 0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def build_report(figures: dict[str, Figures]) -> dict[str, Any]:
    summary: dict[str, dict[str, float]] = {}
    for name, f in figures.items():
        summary[name] = {
            "rps_64": median(f.rps_64),
            "p50_64_ms": median(f.p50_64_ms),
            "p99_64_ms": median(f.p99_64_ms),
            "rps_1": median(f.rps_1),
            "p50_1_ms": median(f.p50_1_ms),
            "p99_1_ms": median(f.p99_1_ms),
            "cold_start_ms": median(f.cold_start_ms),
            "rss_mib": f.rss_mib,
            "errors": f.errors,
            "exchanges": f.exchanges,
            "upstream_connections_per_1000": (
                1000 * f.upstream_connections / f.exchanges if f.exchanges else float("nan")
            ),
        }
    ours, theirs = summary["ours"], summary["express"]
    ratios = {
        "rps_64": ours["rps_64"] / theirs["rps_64"],
        "p99_64": ours["p99_64_ms"] / theirs["p99_64_ms"],
        "p50_1": ours["p50_1_ms"] / theirs["p50_1_ms"],
        "cold_start": ours["cold_start_ms"] / theirs["cold_start_ms"],
    }
    met = {
        key: (ratios[key] >= limit if op == ">=" else ratios[key] <= limit)
        for key, (op, limit) in TARGETS.items()
    }
    met["upstream_connections_per_1000"] = (
        ours["upstream_connections_per_1000"] <= MAX_CONNECTIONS_PER_1000
    )
    return {
        "summary": summary,
        "ratios_ours_to_express": ratios,
        "targets": {k: f"{op} {v}" for k, (op, v) in TARGETS.items()},
        "met": met,
        "raw": {name: asdict(f) for name, f in figures.items()},
    }


def render(report: dict[str, Any]) -> str:
    s, r, met = report["summary"], report["ratios_ours_to_express"], report["met"]
    rows = [
        ("throughput at 64 (req/s)", "rps_64", "{:.0f}", "rps_64"),
        ("p50 at 64 (ms)", "p50_64_ms", "{:.2f}", None),
        ("p99 at 64 (ms)", "p99_64_ms", "{:.2f}", "p99_64"),
        ("throughput at 1 (req/s)", "rps_1", "{:.0f}", None),
        ("p50 at 1 (ms)", "p50_1_ms", "{:.3f}", "p50_1"),
        ("p99 at 1 (ms)", "p99_1_ms", "{:.3f}", None),
        ("cold start (ms, median)", "cold_start_ms", "{:.0f}", "cold_start"),
        ("resident memory after load (MiB)", "rss_mib", "{:.1f}", None),
        ("upstream connections per 1,000", "upstream_connections_per_1000", "{:.2f}", "conn"),
        ("errors", "errors", "{:.0f}", None),
    ]
    out = [f"{'':34}{'direct':>10}{'express':>10}{'ours':>10}{'ours/express':>14}  target"]
    for label, key, fmt, ratio_key in rows:
        cells = "".join(f"{fmt.format(s[name][key]):>10}" for name in ("direct", "express", "ours"))
        ratio, target = "", ""
        if ratio_key == "conn":
            verdict = "met" if met["upstream_connections_per_1000"] else "MISSED"
            target = f"<= {MAX_CONNECTIONS_PER_1000} {verdict}"
        elif ratio_key:
            ratio = f"{r[ratio_key]:.2f}x"
            target = f"{report['targets'][ratio_key]} {'met' if met[ratio_key] else 'MISSED'}"
        out.append(f"{label:34}{cells}{ratio:>14}  {target}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
