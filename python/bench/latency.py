"""What the Python client costs a trainer per step: the wall time of Monitor.observe (encode,
send over the stdio sidecar, the monitor's verdict, decode), p50 and p99, for a step of 16
metrics and for one with a 1024-trajectory tensor (plain lists and numpy arrays), next to the
monitor's own time per step as the sidecar measures it; in both forms: `observe` (waits for the
step's verdict) and pipelined (`submit` the step, take the verdicts that came with `verdicts()`).

    python python/bench/latency.py [--steps 2000] [--train-ms 2]
"""
import argparse
import math
import random
import time

import rftfm

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=2000)
p.add_argument("--train-ms", type=float, default=2.0, help="the trainer's own step time in the pipelined form")
opts = p.parse_args()

METRICS = ["reward_mean", "reward_std", "correct_mean", "kl_ref", "ppo_kl", "entropy", "loss", "pg_loss",
           "grad_norm", "lr", "clip_frac", "response_length_mean", "truncation_rate", "step_time",
           "num_trajectories", "tool_error_rate"]
r = random.Random(0)


def metrics(step):
    return {name: 0.5 + 0.01 * math.sin(step / 7 + i) + 0.005 * r.random() for i, name in enumerate(METRICS)}


def tensor(n, numpy=False):
    cols = {
        "group": [i // 8 for i in range(n)],
        "reward": [float(r.random() < 0.5) for _ in range(n)],
        "length": [float(r.randint(20, 200)) for _ in range(n)],
        "advantage": [r.gauss(0, 1) for _ in range(n)],
    }
    if numpy:
        import numpy as np
        cols = {k: np.asarray(v) for k, v in cols.items()}
    return cols


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]


def bench(label, make_traj, pipelined=False):
    with rftfm.Monitor(budget_ms=1000) as m:
        times = []
        missed = 0
        trajs = [make_traj() for _ in range(16)]
        for step in range(opts.steps):
            mt = metrics(step)
            t = trajs[step % len(trajs)]
            t0 = time.perf_counter()
            if pipelined:
                # What a trainer does in the pipelined form: take the verdicts that came, send this step.
                got = m.verdicts()
                missed += not m.submit(label, step, mt, trajectories=t)
            else:
                missed += not m.observe(label, step, mt, trajectories=t).available
            times.append(time.perf_counter() - t0)
            if pipelined:
                # The trainer's own step (forward, backward, optimizer), far longer than the monitor's:
                # a busy CPU, as in a training step, not a sleep (a core woken from idle is slow to start).
                until = time.perf_counter() + opts.train_ms / 1000
                while time.perf_counter() < until:
                    pass
        late = len(m.verdicts(wait_ms=5000)) if pipelined else 0
        health = m._transport.request({"kind": "health"}, 5.0)
    w = times[opts.steps // 10:]  # after the warm-up
    form = "submit+verdicts" if pipelined else "observe"
    print(f"{label:28s} {form:15s} p50 {quantile(w, .5) * 1e3:6.3f} ms  p99 {quantile(w, .99) * 1e3:6.3f} ms   "
          f"monitor itself p50 {health['observe_p50_s'] * 1e3:6.3f} ms  p99 {health['observe_p99_s'] * 1e3:6.3f} ms"
          f"   no verdict: {missed}" + (f"   verdicts after the last step: {late}" if pipelined else ""))


for pipelined in (False, True):
    bench("16 metrics", lambda: None, pipelined)
    bench("16 metrics + 1024 traj", lambda: tensor(1024), pipelined)
    try:
        import numpy  # noqa: F401
        bench("16 metrics + 1024 numpy", lambda: tensor(1024, numpy=True), pipelined)
    except ImportError:
        print("numpy not installed: numpy case skipped")
