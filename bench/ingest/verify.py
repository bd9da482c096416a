#!/usr/bin/env python3
"""Checks that a system under test stored the benchmark data set.

  verify.py --system vigil|vm|prometheus --url http://127.0.0.1:PORT --manifest DIR/manifest.json

Two checks, printed as one JSON object on stdout (exit 1 if any fails):
  * per series: for each series listed in the manifest's "checks", the stored
    sample count, first and last timestamp must equal the generator's, and
    the sum of the values must match to 1e-9 relative (VictoriaMetrics keeps
    values as decimal mantissa+exponent, which may round the last bits);
  * in total: the system's own counter of stored samples must equal the
    manifest's sample count (vigil_tsdb_samples_ingested_total,
    VictoriaMetrics' vm_rows{type=~"storage/.*"} after a flush,
    Prometheus' prometheus_tsdb_head_samples_appended_total).
Vigil and VictoriaMetrics are read with /api/v1/export (raw samples);
Prometheus with an instant query of a range selector covering the data set.
"""

import argparse
import json
import math
import re
import sys

import requests


def selector(labels):
    name = labels["__name__"]
    rest = ",".join(
        '%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"'))
        for k, v in sorted(labels.items())
        if k != "__name__"
    )
    return "%s{%s}" % (name, rest)


def fetch_export(url, sel, manifest):
    r = requests.post(
        url + "/api/v1/export",
        data={
            "match[]": sel,
            "start": str(manifest["min_ts"] // 1000 - 60),
            "end": str(manifest["max_ts"] // 1000 + 60),
        },
        timeout=60,
    )
    r.raise_for_status()
    ts, vals = [], []
    for line in r.text.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        ts += obj["timestamps"]
        vals += [float(v) if v is not None else math.nan for v in obj["values"]]
    return ts, vals


def fetch_prometheus(url, sel, manifest):
    end_s = manifest["max_ts"] / 1000.0 + 1
    range_s = int((manifest["max_ts"] - manifest["min_ts"]) / 1000) + 3600
    r = requests.post(
        url + "/api/v1/query",
        data={"query": "%s[%ds]" % (sel, range_s), "time": "%.3f" % end_s},
        timeout=60,
    )
    r.raise_for_status()
    ts, vals = [], []
    for series in r.json()["data"]["result"]:
        for t, v in series["values"]:
            ts.append(int(round(float(t) * 1000)))
            vals.append(float(v))
    return ts, vals


def metric_sum(url, pattern):
    text = requests.get(url + "/metrics", timeout=30).text
    total = 0.0
    rx = re.compile(pattern)
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        parts = line.rsplit(" ", 1)
        if len(parts) == 2 and rx.fullmatch(parts[0]):
            total += float(parts[1])
    return int(total)


TOTALS = {
    "vigil": r'vigil_tsdb_samples_ingested_total(\{.*\})?',
    "vm": r'vm_rows\{type="storage/(small|big|inmemory)"\}',
    "prometheus": r'prometheus_tsdb_head_samples_appended_total(\{.*\})?',
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", required=True, choices=sorted(TOTALS))
    ap.add_argument("--url", required=True)
    ap.add_argument("--manifest", required=True)
    args = ap.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)

    fetch = fetch_prometheus if args.system == "prometheus" else fetch_export
    failures = []
    checked = 0
    for c in manifest["checks"]:
        sel = selector(c["labels"])
        ts, vals = fetch(args.url, sel, manifest)
        checked += 1
        got = {
            "count": len(ts),
            "first_ts": min(ts) if ts else None,
            "last_ts": max(ts) if ts else None,
            "sum": math.fsum(vals),
        }
        ok = (
            got["count"] == c["count"]
            and got["first_ts"] == c["first_ts"]
            and got["last_ts"] == c["last_ts"]
            and math.isclose(got["sum"], c["sum"], rel_tol=1e-9, abs_tol=1e-9)
        )
        if not ok:
            failures.append({"series": sel, "want": {k: c[k] for k in got}, "got": got})

    total = metric_sum(args.url, TOTALS[args.system])
    if total != manifest["samples"]:
        failures.append({"total_samples": {"want": manifest["samples"], "got": total}})
    print(json.dumps({
        "system": args.system,
        "series_checked": checked,
        "total_samples_stored": total,
        "ok": not failures,
        "failures": failures[:5],
    }))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
