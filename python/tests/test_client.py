import json
import math
import os
import subprocess
import time

import pytest

import rftfm
from conftest import PATIENT_MS, decision, fake_command, steps
from rftfm._locate import node_binary


def run_through(monitor, run, data):
    return [monitor.observe(run, s, m, trajectories=c) for s, m, c in data]


def test_verdicts_for_a_healthy_and_a_nan_run_in_act_mode():
    with rftfm.Monitor(mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS) as m:
        healthy = run_through(m, "healthy", steps(40))
        faulty = run_through(m, "nan", steps(40, nan_from=25))
        assert all(v.available for v in healthy + faulty)
        assert [a for v in healthy for a in v.actions] == []
        halts = [v.step for v in faulty if any(a.kind == "halt" for a in v.actions)]
        assert halts and 25 <= halts[0] <= 28
        s = m.summary("nan")
        assert s.alarm and s.first_alarm_step >= 25
        assert m.summary("never-seen") is None


def test_advise_mode_recommends_and_applies_nothing():
    with rftfm.Monitor(budget_ms=PATIENT_MS) as m:
        vs = run_through(m, "r", steps(35, nan_from=25))
        assert [a for v in vs for a in v.actions] == []
        assert any(v.recommendations for v in vs)


def test_numpy_and_plain_inputs_give_the_same_verdicts():
    np = pytest.importorskip("numpy")
    data = steps(30, nan_from=22)
    with rftfm.Monitor(mode="act", budget_ms=PATIENT_MS) as m:
        plain = [decision(v) for v in run_through(m, "plain", data)]
        arrays = [
            decision(m.observe("arrays", s, {k: np.float64(v) for k, v in mt.items()},
                               trajectories={k: np.asarray(v) for k, v in c.items()}))
            for s, mt, c in data
        ]
        assert plain == arrays


def test_bad_input_comes_back_in_the_verdict_not_as_an_exception():
    with rftfm.Monitor(budget_ms=PATIENT_MS) as m:
        v = m.observe("r", 0, {"reward_mean": 0.5}, trajectories={"reward": [1, 0], "group": [0]})
        assert v.available and any("trajectories" in e for e in v.errors)
        v = m.observe("r", -3, {"reward_mean": 0.5})
        assert not v.available and v.errors


def test_a_stalled_sidecar_costs_at_most_the_budget_per_step():
    m = rftfm.Monitor(budget_ms=30, command=fake_command("stall"))
    try:
        for s in range(5):
            t = time.monotonic()
            v = m.observe("r", s, {"reward_mean": 0.5})
            assert not v.available
            # The budget, plus scheduling slack for a loaded machine.
            assert time.monotonic() - t < 0.030 + 0.05
        assert m.stats["timeouts"] == 5
    finally:
        m.close()


def test_a_late_reply_is_dropped_not_taken_for_the_next_step():
    m = rftfm.Monitor(budget_ms=50, command=fake_command("slow"))
    try:
        assert not m.observe("r", 0, {"x": 1.0}).available
        time.sleep(0.3)  # the reply to step 0 arrives now
        v = m.observe("r", 1, {"x": 1.0})
        assert not v.available or v.step == 1
    finally:
        m.close()


def test_no_sidecar_at_all_is_fail_open():
    m = rftfm.Monitor(command=["/nonexistent/node"], reconnect_interval_s=0.05)
    t = time.monotonic()
    v = m.observe("r", 0, {"reward_mean": 0.5})
    assert not v.available and time.monotonic() - t < 0.05
    assert m.summary("r") is None
    m.close()


def test_killed_mid_run_the_client_goes_on_and_reconnects(tmp_path):
    data = steps(40, nan_from=30)
    m = rftfm.Monitor(mode="act", allowed=["halt"], budget_ms=50, state_dir=str(tmp_path),
                      reconnect_interval_s=0.2)
    try:
        for s, mt, c in data[:10]:
            assert m.observe("r", s, mt, trajectories=c, events=["checkpoint"] if s == 9 else None).available
        m._transport.process.kill()
        missed = 0
        got_back = None
        for s, mt, c in data[10:]:
            t = time.monotonic()
            v = m.observe("r", s, mt, trajectories=c)
            # A dead sidecar costs at most one budget per step (plus spawning the new one).
            assert time.monotonic() - t < 0.05 + 0.1
            if v.available and got_back is None:
                got_back = s
            if not v.available:
                missed += 1
                time.sleep(0.05)
        assert got_back is not None, "never reconnected"
        assert m.stats["down"] >= 1 and m.stats["reconnects"] >= 1
        # The restored sidecar still judges the run: the NaN rewards from step 30 are caught.
        assert m.summary("r").alarm
    finally:
        m.close()


@pytest.mark.parametrize("transport", ["unix", "http"])
def test_server_transports(transport, server_factory, tmp_path):
    if transport == "unix":
        s = server_factory("--socket", str(tmp_path / "s.sock"))
        url = "unix://" + str(tmp_path / "s.sock")
    else:
        s = server_factory("--http", "0")
        url = s.where
    data = steps(35, nan_from=25)
    with rftfm.Monitor(url=url, mode="act", allowed=["halt"], budget_ms=PATIENT_MS) as remote, rftfm.Monitor(
        mode="act", allowed=["halt"], budget_ms=PATIENT_MS
    ) as local:
        a = [decision(v) for v in run_through(remote, "r", data)]
        b = [decision(v) for v in run_through(local, "r", data)]
        assert a == b
        assert remote.summary("r").alarm
    s.stop()
    # The server gone, the client fails open.
    m = rftfm.Monitor(url=url, budget_ms=20)
    assert not m.observe("r", 99, {"x": 1.0}).available
    m.close()


def test_pipelined_steps_get_the_same_verdicts_as_waited_ones_in_order():
    data = steps(40, nan_from=25)
    with rftfm.Monitor(mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS) as m:
        waited = [decision(v) for v in run_through(m, "waited", data)]
        got = []
        for s, mt, c in data:
            got += m.verdicts()
            assert m.submit("piped", s, mt, trajectories=c)
        got += m.verdicts(wait_ms=PATIENT_MS)
        assert [v.step for v in got] == [s for s, _, _ in data]
        assert all(v.available and v.run == "piped" for v in got)
        assert [decision(v) for v in got] == waited
        assert m.verdicts() == []


def test_pipelined_submit_never_waits_on_a_stalled_or_dead_sidecar():
    m = rftfm.Monitor(budget_ms=30, command=fake_command("stall"))
    try:
        for s in range(50):
            t = time.monotonic()
            assert m.submit("r", s, {"reward_mean": 0.5})
            assert m.verdicts() == []
            # One write and one non-blocking read, plus scheduling slack for a loaded machine.
            assert time.monotonic() - t < 0.05
        t = time.monotonic()
        assert m.verdicts(wait_ms=30) == []
        assert time.monotonic() - t < 0.030 + 0.05
    finally:
        m.close()
    m = rftfm.Monitor(budget_ms=30, command=fake_command("dies"), reconnect_interval_s=10)
    try:
        m.submit("r", 0, {"reward_mean": 0.5})
        time.sleep(0.3)  # the sidecar exits on that step
        assert m.verdicts(wait_ms=30) == []
        assert m.stats["down"] == 1
        # The next step respawns the sidecar, as observe does, without waiting for it.
        t = time.monotonic()
        m.submit("r", 1, {"reward_mean": 0.5})
        assert m.stats["reconnects"] == 1 and time.monotonic() - t < 0.1
    finally:
        m.close()


def test_pipelined_bad_input_is_refused_at_submit_or_comes_back_as_an_error_verdict():
    with rftfm.Monitor(budget_ms=PATIENT_MS) as m:
        assert not m.submit("r", 0, {"reward_mean": object()})
        assert m.submit("r", -3, {"reward_mean": 0.5})
        (v,) = m.verdicts(wait_ms=PATIENT_MS)
        assert not v.available and v.step == -3 and v.run == "r" and v.errors


def test_a_calibration_file_turns_the_setup_prior_on(tmp_path):
    """Calibrated on healthy runs of a setup (`rftfm calibrate`), the sidecar catches a run whose
    entropy is twice the setup's from step 0, which the run's own baseline takes for normal."""
    from conftest import STANDALONE

    def write(path, run, seed, entropy=1.0):
        with open(path, "w") as f:
            for s, metrics, _ in steps(40, seed=seed):
                metrics = dict(metrics, entropy=metrics["entropy"] * entropy)
                f.write(json.dumps({"kind": "step", "run": run, "step": s, "metrics": metrics}) + "\n")
        return str(path)

    healthy = [write(tmp_path / f"h{i}.jsonl", f"h{i}", seed=i) for i in (1, 2, 3)]
    out = tmp_path / "setup.json"
    made = subprocess.run(
        [node_binary(), str(STANDALONE), "calibrate", *healthy, "--out", str(out)], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert "calibrated from 3 runs" in made.stderr

    def first_alarm(monitor, run, entropy, seed):
        for s, metrics, columns in steps(40, seed=seed):
            metrics = dict(metrics, entropy=metrics["entropy"] * entropy)
            if monitor.observe(run, s, metrics, trajectories=columns).anomalous:
                return s
        return None

    with rftfm.Monitor(budget_ms=PATIENT_MS, calibration=str(out)) as m:
        assert first_alarm(m, "healthy", 1.0, seed=7) is None
        assert first_alarm(m, "hot", 2.0, seed=8) is not None
    with rftfm.Monitor(budget_ms=PATIENT_MS) as m:
        assert first_alarm(m, "hot", 2.0, seed=8) is None
