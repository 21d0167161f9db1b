#!/usr/bin/env python3
"""Draws client TTFT over time per strategy for the routing-quality scenario (scripts/bench runs it).

Input: the per-request CSV logs `edge-load route --requests-log` wrote (start_s,ttft_ms,total_ms,outcome,served_by)
and one edge-load JSON report of the same schedule, for the phases. Output: one PNG with two panels, the p50 and
the p99 of the TTFT of requests started in a sliding window, per strategy, phase boundaries and names marked,
errors as ticks along the bottom.

    routing_ttft.py --phases routing/oracle.json --out routing-ttft.png \
        --series "Oracle=routing/oracle.csv" --series "EdgeRouter=routing/router.csv" ...
"""

import argparse
import csv
import json
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import numpy as np  # noqa: E402
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter  # noqa: E402

# Milliseconds a reader can take in at a glance, on the log axes.
TICKS_MS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000]

# Stable colours, so charts of different runs read the same way; other names get the default cycle.
COLOURS = {
    "Oracle": "#222222",
    "Round-robin": "#999999",
    "EdgeRouter": "#1f77b4",
    "LiteLLM": "#ff7f0e",
}


def read_requests(path):
    """(start_s, ttft_ms or None, ok) per request, in start order."""
    rows = []
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            ttft = float(row["ttft_ms"]) if row["ttft_ms"] else None
            rows.append((float(row["start_s"]), ttft, row["outcome"] == "ok"))
    rows.sort(key=lambda r: r[0])
    return rows


def rolling(rows, end_s, window_s, step_s):
    """Times and the p50 and p99 of the TTFTs of successful requests started in (t - window, t]."""
    starts = np.array([r[0] for r in rows if r[1] is not None])
    ttfts = np.array([r[1] for r in rows if r[1] is not None])
    times, p50, p99 = [], [], []
    t = window_s
    while t <= end_s + 1e-9:
        chosen = ttfts[(starts > t - window_s) & (starts <= t)]
        times.append(t)
        if len(chosen) >= 5:
            p50.append(np.percentile(chosen, 50))
            p99.append(np.percentile(chosen, 99))
        else:
            p50.append(math.nan)
            p99.append(math.nan)
        t += step_s
    return times, p50, p99


def colour_of(label, index):
    for name, colour in COLOURS.items():
        if label.startswith(name):
            return colour
    return f"C{index}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", required=True, help="an edge-load route JSON report (for the schedule)")
    parser.add_argument("--series", action="append", required=True, help="LABEL=CSV, in legend order")
    parser.add_argument("--out", required=True)
    parser.add_argument("--title", default="Client TTFT over time, per routing strategy")
    args = parser.parse_args()

    with open(args.phases) as handle:
        scenario = json.load(handle)["scenario"]
    phases = scenario["phases"]
    end_s = phases[-1]["start_s"] + phases[-1]["duration_s"]
    # Long enough for a p99 of a few hundred requests, short enough to follow a phase.
    window_s = max(2.0, min(5.0, scenario["phase_seconds"] / 4))
    step_s = window_s / 5

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(13, 8), sharex=True, constrained_layout=True)
    error_row = 0
    for index, spec in enumerate(args.series):
        label, path = spec.split("=", 1)
        rows = read_requests(path)
        times, p50, p99 = rolling(rows, end_s, window_s, step_s)
        errors = [r[0] for r in rows if not r[2]]
        colour = colour_of(label, index)
        legend = f"{label} ({len(errors)} errors)" if errors else label
        top.plot(times, p50, color=colour, linewidth=1.6, label=legend)
        bottom.plot(times, p99, color=colour, linewidth=1.6, linestyle="--", label=legend)
        if errors:
            # Errors as ticks just above the bottom axis, one row per strategy that has any.
            bottom.plot(errors, [0.03 + 0.045 * error_row] * len(errors), linestyle="none", marker="|",
                        markersize=9, color=colour, transform=bottom.get_xaxis_transform())
            error_row += 1

    for axis, name in ((top, "TTFT p50 (ms)"), (bottom, "TTFT p99 (ms)")):
        axis.set_yscale("log")
        axis.yaxis.set_major_locator(FixedLocator(TICKS_MS))
        axis.yaxis.set_major_formatter(ScalarFormatter())
        axis.yaxis.set_minor_formatter(NullFormatter())
        axis.set_ylabel(name)
        axis.grid(True, which="both", alpha=0.25)
        for phase in phases[1:]:
            axis.axvline(phase["start_s"], color="#555555", linestyle=":", linewidth=1)
    for phase in phases:
        top.annotate(phase["name"], xy=(phase["start_s"] + phase["duration_s"] / 2, 1.01),
                     xycoords=("data", "axes fraction"), ha="center", va="bottom", fontsize=9)
    errors_note = "; ticks along the bottom: failed requests" if error_row else ""
    bottom.set_xlabel(f"seconds into the measured window (sliding window of {window_s:g} s){errors_note}")
    bottom.set_xlim(0, end_s)
    top.legend(loc="upper left", fontsize=9)
    top.set_title(args.title, pad=18)
    figure.savefig(args.out, dpi=110)


if __name__ == "__main__":
    main()
