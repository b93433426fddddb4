"""River's detectors on the rftfm detector benchmark's series (bench/throughput/river.ts).

Reads the series from the directory given (values.f64, runs.u32, signals.u32, native
byte order), times each detector inside Python with time.perf_counter, and prints one
JSON object: {detector: {"observations": n, "seconds": s, "how": "..."}}.

PageHinkley and ADWIN are univariate: one detector per (run, signal) stream, as the rftfm
bank keeps one state per stream, fed the first `--drift-limit` observations in series
order. HalfSpaceTrees is multivariate and costly to build: one model for run 0, fed that
run's steps as one dict of its signals (scored, then learned), the first `--hst-rows`
steps; its rate counts the signal values it took in.
"""

import argparse
import json
import sys
import time
from array import array
from pathlib import Path

from river import anomaly, drift


def read(path: Path, typecode: str) -> array:
    values = array(typecode)
    values.frombytes(path.read_bytes())
    return values


def drift_rate(make, values, runs, signals, limit):
    n = min(limit, len(values))
    detectors = {}
    alarms = 0
    started = time.perf_counter()
    for i in range(n):
        key = (runs[i], signals[i])
        detector = detectors.get(key)
        if detector is None:
            detector = detectors[key] = make()
        detector.update(values[i])
        if detector.drift_detected:
            alarms += 1
    seconds = time.perf_counter() - started
    return {"observations": n, "seconds": seconds, "alarms": alarms, "how": "one detector per (run, signal) stream"}


def hst_rate(values, runs, signals, rows_limit):
    width = max(signals) + 1 if signals else 0
    rows = []
    row = {}
    for i in range(len(values)):
        if runs[i] != 0:
            continue
        row[f"s{signals[i]}"] = values[i]
        if len(row) == width:
            rows.append(row)
            row = {}
            if len(rows) == rows_limit:
                break
    model = anomaly.HalfSpaceTrees(seed=1)
    total = 0.0
    started = time.perf_counter()
    for r in rows:
        total += model.score_one(r)
        model.learn_one(r)
    seconds = time.perf_counter() - started
    return {
        "observations": len(rows) * width,
        "seconds": seconds,
        "how": f"one model for run 0, {len(rows)} steps of {width} signals, score_one + learn_one",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("series_dir", type=Path)
    parser.add_argument("--drift-limit", type=int, required=True)
    parser.add_argument("--hst-rows", type=int, required=True)
    args = parser.parse_args()
    values = read(args.series_dir / "values.f64", "d")
    runs = read(args.series_dir / "runs.u32", "I")
    signals = read(args.series_dir / "signals.u32", "I")
    if not (len(values) == len(runs) == len(signals)):
        sys.exit("river_rates.py: values, runs and signals differ in length")
    results = {
        "PageHinkley": drift_rate(drift.PageHinkley, values, runs, signals, args.drift_limit),
        "ADWIN": drift_rate(drift.ADWIN, values, runs, signals, args.drift_limit),
        "HalfSpaceTrees": hst_rate(values, runs, signals, args.hst_rows),
    }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
