import json
import math
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rftfm._locate import library_root, node_binary

# Tests of what the verdicts say wait long for them: on a loaded CI machine a 50 ms budget is
# sometimes missed, and a missed verdict is a different answer. The timeout tests set their own.
PATIENT_MS = 10000

STANDALONE = library_root() / "dist" / "standalone" / "rftfm-standalone.js"


def steps(n, nan_from=None, seed=1):
    """A healthy-looking run's step metrics and trajectory columns; the reward NaN from `nan_from`."""
    r = random.Random(seed)
    out = []
    for s in range(n):
        bad = nan_from is not None and s >= nan_from
        metrics = {
            "reward_mean": math.nan if bad else 0.3 + 0.002 * s + 0.02 * (r.random() - 0.5),
            "reward_std": 0.4 + 0.02 * (r.random() - 0.5),
            "kl_ref": 0.01 + 0.001 * s + 0.001 * r.random(),
            "entropy": 1.2 - 0.001 * s + 0.01 * r.random(),
            "grad_norm": 0.8 + 0.1 * r.random(),
            "loss": 0.1 * (r.random() - 0.5),
            "lr": 1e-5,
        }
        columns = {
            "group": [i // 4 for i in range(16)],
            "reward": [math.nan if bad else float(r.random() < 0.5) for _ in range(16)],
        }
        out.append((s, metrics, columns))
    return out


def _action(a, run):
    """An action as data, its texts with the run's name taken out (two runs' decisions compare equal)."""
    return {k: (x.replace(run, "<run>") if isinstance(x, str) else x) for k, x in a.to_dict().items()}


def decision(v):
    """What a verdict decided (not whether it was delivered)."""
    return (v.anomalous, [a.signal for a in v.anomalies], [d.fault for d in v.diagnosis],
            [_action(a, v.run) for a in v.actions], [_action(a, v.run) for a in v.recommendations])


class Server:
    """`rftfm serve` on a Unix socket or loopback HTTP, in a process of its own."""

    def __init__(self, *args):
        self.process = subprocess.Popen(
            [node_binary(), str(STANDALONE), "serve", *args], stderr=subprocess.PIPE, text=True
        )
        line = self.process.stderr.readline()
        m = re.search(r"listening on (\S+)", line)
        assert m, line
        self.where = m.group(1).rstrip(",")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def server_factory():
    started = []

    def start(*args):
        s = Server(*args)
        started.append(s)
        return s

    yield start
    for s in started:
        if s.process.poll() is None:
            s.stop()


FAKE = Path(__file__).parent / "fake_sidecar.py"


def fake_command(behaviour):
    """A stand-in sidecar: answers health, then behaves as told (stall, die)."""
    return [sys.executable, str(FAKE), behaviour]
