"""The verl tracking backend, driven the way verl's Tracking drives its loggers
(verl itself is not installed in CI: its loop is a few lines, reproduced here)."""
import math
import time

import pytest

from rftfm.integrations.verl import RftfmHalt, RftfmTracking, register
from conftest import PATIENT_MS, steps


class Tracking:
    """verl/utils/tracking.py's shape: a dict of loggers, log(data, step) to each, finish()."""

    def __init__(self):
        self.logger = {}

    def log(self, data, step, backend=None):
        for name, logger_instance in self.logger.items():
            if backend is None or name in backend:
                logger_instance.log(data=data, step=step)


def verl_metrics(metrics):
    return {
        "critic/score/mean": metrics["reward_mean"],
        "actor/entropy": metrics["entropy"],
        "actor/grad_norm": metrics["grad_norm"],
        "actor/pg_loss": metrics["loss"],
        "actor/kl_loss": metrics["kl_ref"],
        "actor/lr": metrics["lr"],
        "training/global_step": 0,
    }


def test_healthy_run_passes_and_nan_scores_halt_the_fit_loop():
    tracking = Tracking()
    backend = register(tracking, run="healthy", mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS)
    for s, m, _ in steps(30):
        tracking.log(verl_metrics(m), s)
    assert backend.actions.entries == []
    # verl's names reached the monitor under canonical ones (the first verdict lists what is lacking).
    lacking = backend.verdicts[0].lacking
    assert lacking and not {"reward_mean", "entropy", "grad_norm", "pg_loss", "kl_ref", "lr"} & set(lacking)
    backend.finish()

    tracking = Tracking()
    backend = register(tracking, run="nan", mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS)
    with pytest.raises(RftfmHalt) as halted:
        for s, m, _ in steps(40, nan_from=25):
            tracking.log(verl_metrics(m), s)
    assert 25 <= halted.value.verdict.step <= 28
    backend.finish()


def test_advise_mode_and_on_halt():
    calls = []
    backend = RftfmTracking(run="r", on_halt=lambda v, a: calls.append(v.step), budget_ms=PATIENT_MS)
    for s, m, _ in steps(35, nan_from=25):
        backend.log(verl_metrics(m), s)
    assert calls == []  # advise mode: nothing applied
    assert {e.status for e in backend.actions.entries} == {"advised"}
    backend.finish()


def test_pipelined_backend_halts_on_a_later_step_with_the_same_decision():
    tracking = Tracking()
    backend = register(tracking, run="nan", mode="act", allowed=["halt"], budget_ms=PATIENT_MS, pipelined=True)
    with pytest.raises(RftfmHalt) as halted:
        for s, m, _ in steps(40, nan_from=25):
            tracking.log(verl_metrics(m), s)
            time.sleep(0.02)  # the trainer's own step: the verdict of this one comes meanwhile
    # The same step's verdict halts as in the waited form; it is acted on at a later log() call.
    assert 25 <= halted.value.verdict.step <= 28 and halted.value.verdict.step < s
    backend.finish()
