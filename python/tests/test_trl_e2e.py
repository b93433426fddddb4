"""End to end with the real TRL GRPOTrainer on CPU: a healthy run gets no action; a run
whose reward turns NaN from a step is caught within a few steps and halted, with its
checkpoint saved (act mode, halt allowed)."""
import os

import pytest

if os.environ.get("RFTFM_REQUIRE_TRL"):
    import trl  # noqa: F401  (CI installs it: a missing TRL fails there instead of skipping)
else:
    pytest.importorskip("trl")

from rftfm.integrations.trl import RftfmCallback  # noqa: E402
from tiny_grpo import grpo_trainer, make_model  # noqa: E402

ALLOWED = ["halt", "alert", "scale_lr", "set_hparam"]
# What is tested here is the behaviour, not the latency (bench/latency.py measures that): torch
# shares the CPU with the sidecar, so the budget is generous, and a step without a verdict fails.
BUDGET_MS = 5000


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model(str(tmp_path_factory.mktemp("tiny-qwen2")))


def test_healthy_run_gets_no_action(model_dir, tmp_path):
    callback = RftfmCallback(mode="act", allowed=ALLOWED, budget_ms=BUDGET_MS)
    trainer = grpo_trainer(model_dir, str(tmp_path / "out"), callback, steps=30)
    trainer.train()
    assert trainer.state.global_step == 30
    assert len(callback.verdicts) == 30 and all(v.available for v in callback.verdicts)
    assert callback.actions.entries == []


def test_nan_reward_is_caught_and_halted_with_a_checkpoint(model_dir, tmp_path):
    nan_from = 12
    callback = RftfmCallback(mode="act", allowed=ALLOWED, budget_ms=BUDGET_MS)
    out = tmp_path / "out"
    trainer = grpo_trainer(model_dir, str(out), callback, steps=30, nan_from=nan_from)
    trainer.train()
    halts = [e for e in callback.actions.entries if e.action.kind == "halt"]
    assert halts, callback.actions.entries
    step = halts[0].step
    assert nan_from <= step <= nan_from + 3
    assert trainer.state.global_step == step  # stopped at the step it was told to
    assert (out / f"checkpoint-{step}").is_dir()  # saved before stopping
    verdict = next(v for v in callback.verdicts if v.step == step)
    assert verdict.diagnosis  # diagnosed, not just flagged
    assert all(e.status == "applied" for e in callback.actions.entries)


def test_advise_mode_only_recommends(model_dir, tmp_path):
    callback = RftfmCallback(budget_ms=BUDGET_MS)
    trainer = grpo_trainer(model_dir, str(tmp_path / "out"), callback, steps=14, nan_from=8, save_steps=100)
    trainer.train()
    assert trainer.state.global_step == 14  # not stopped
    assert all(v.available for v in callback.verdicts)
    assert {e.status for e in callback.actions.entries} == {"advised"}
    assert any(e.action.kind == "halt" for e in callback.actions.entries)


def test_pipelined_callback_halts_a_logged_step_later_with_a_checkpoint(model_dir, tmp_path):
    nan_from = 12
    callback = RftfmCallback(mode="act", allowed=ALLOWED, budget_ms=BUDGET_MS, pipelined=True)
    out = tmp_path / "out"
    trainer = grpo_trainer(model_dir, str(out), callback, steps=30, nan_from=nan_from)
    trainer.train()
    halts = [e for e in callback.actions.entries if e.action.kind == "halt"]
    assert halts, callback.actions.entries
    step = halts[0].step
    # The verdict of a step is acted on when the next step is logged.
    assert nan_from + 1 <= step <= nan_from + 5
    assert trainer.state.global_step == step
    assert (out / f"checkpoint-{step}").is_dir()
    # Every step sent got its verdict, the last ones collected at the end of training.
    assert [v.step for v in callback.verdicts] == list(range(1, step + 1))
