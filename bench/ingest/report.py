#!/usr/bin/env python3
"""Summarises bench/ingest/run.sh results as Markdown.

  report.py --manifest DATA/manifest.json WORK/results.jsonl

Per system: the median over runs of ingestion rate, server CPU per million
samples, peak RSS and bytes per sample (after a plain stop, and in the most
compacted form the run produced); then Vigil's ratios to the others.
"""

import argparse
import json
import statistics

NAMES = {"vigil": "Vigil", "vm": "VictoriaMetrics", "prometheus": "Prometheus"}
COMPACTED = {
    "vigil": "stopped (head flushed into a part), reopened (WAL checkpoint replayed), stopped again",
    "vm": "/internal/force_flush + /internal/force_merge, merges idle, live dir",
    "prometheus": "admin snapshot: every sample in compacted blocks (head written out)",
}


def median(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt_rate(v):
    return "%.0f" % v if v is not None else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("results")
    args = ap.parse_args()
    manifest = json.load(open(args.manifest))
    meta, rows = {}, []
    for line in open(args.results):
        obj = json.loads(line)
        if "meta" in obj:
            meta = obj["meta"]
        else:
            rows.append(obj)
    systems = [s for s in ("vigil", "vm", "prometheus") if any(r["system"] == s for r in rows)]
    n = manifest["samples"]
    summary = {}
    for s in systems:
        rs = [r for r in rows if r["system"] == s]
        summary[s] = {
            "runs": len(rs),
            "rate": median(rs, "samples_per_s"),
            "rates": [round(r["samples_per_s"]) for r in rs],
            "cpu_per_m": median(rs, "server_cpu_s") / (n / 1e6),
            "rss": median(rs, "peak_rss_bytes"),
            "stop_bps": median(rs, "bytes_after_stop") / n,
            "compact_bps": median(rs, "bytes_compacted") / n,
            "verified": all(r["verify"] and r["verify"]["ok"] for r in rs),
            "failed": sum(r["failed_requests"] for r in rs),
        }
    out = []
    out.append("Data set: %d hosts x %d series (%d unique with churn), %gh at %ds: "
               "%d samples in %d requests (%d shards, %.1f MB snappy, %.1f MB protobuf)."
               % (manifest["hosts"], manifest["series_per_host"], manifest["unique_series"],
                  manifest["hours"], manifest["interval_s"], n, manifest["requests"],
                  manifest["shards"], manifest["snappy_bytes"] / 1e6,
                  manifest["raw_protobuf_bytes"] / 1e6))
    if meta:
        out.append("Machine: %s x%d, %.1f GiB RAM. victoria-metrics %s, prometheus %s, vigil %s."
                   % (meta["cpu"], meta["nproc"], meta["mem_kb"] / 2**20,
                      meta["victoria_metrics"], meta["prometheus"], meta["vigil_commit"]))
    out.append("")
    out.append("| system | runs | samples/s (median) | all runs | server CPU s / M samples "
               "| peak RSS MiB | bytes/sample after stop | bytes/sample compacted | verified |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for s in systems:
        m = summary[s]
        out.append("| %s | %d | %s | %s | %.2f | %.1f | %.2f | %.2f | %s |" % (
            NAMES[s], m["runs"], fmt_rate(m["rate"]), ", ".join(map(str, m["rates"])),
            m["cpu_per_m"], m["rss"] / 2**20, m["stop_bps"], m["compact_bps"],
            "yes" if m["verified"] and m["failed"] == 0 else "NO"))
    out.append("")
    out.append("Compacted means: " + "; ".join(
        "%s: %s" % (NAMES[s], COMPACTED[s]) for s in systems) + ".")
    if "vigil" in summary:
        v = summary["vigil"]
        out.append("")
        out.append("| Vigil / other | ingestion rate (higher is better) | CPU per sample "
                   "| peak RSS | bytes/sample after stop | bytes/sample compacted |")
        out.append("|---|---|---|---|---|---|")
        for s in systems:
            if s == "vigil":
                continue
            o = summary[s]
            out.append("| %s | %.2fx | %.2fx | %.2fx | %.2fx | %.2fx |" % (
                NAMES[s], v["rate"] / o["rate"], v["cpu_per_m"] / o["cpu_per_m"],
                v["rss"] / o["rss"], v["stop_bps"] / o["stop_bps"],
                v["compact_bps"] / o["compact_bps"]))
    print("\n".join(out))


if __name__ == "__main__":
    main()
