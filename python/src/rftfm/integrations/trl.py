"""rftfm in a transformers / TRL trainer (GRPOTrainer, and ms-swift, which reuses it).

    from rftfm.integrations.trl import RftfmCallback
    trainer = GRPOTrainer(..., callbacks=[RftfmCallback(mode="act", allowed=["halt", "scale_lr", "alert"])])

Every logged training step (`on_log`) goes to the monitor: TRL's metric names mapped
through the name table of rftfm's TRL log adapter, and, when the callback can see the
trainer (`RftfmCallback(trainer=...)` or `callback.attach(trainer)`), the latest
generation's per-trajectory rewards and advantages. The monitor runs on the main process;
its decisions are broadcast to the other ranks so all stop or change together.

What it applies (mode="act", kinds in `allowed`; advise mode only logs):
halt (save a checkpoint, then stop), scale_lr (the optimizer's groups and the scheduler's
base LRs, or the scheduler would undo it), set_hparam beta / kl_coef (with a reference
model), alert (logged). Rollback and restart_workers go to the supervisor (`rftfm run`),
or are refused without one; everything else is refused. `callback.actions` lists each.
"""
import logging
import os
from typing import Any, Dict, List, Optional, Sequence

from transformers import TrainerCallback

from ..client import Monitor
from ..names import canonical_metrics
from ..types import Action, Verdict
from ._apply import CHANGES_TRAINING, ActionLog, describe, supervised

log = logging.getLogger("rftfm")

#: Log keys that are not per-step training metrics.
SKIP_KEYS = ("epoch", "total_flos", "num_tokens")
BETA_NAMES = ("beta", "kl_coef")


def _numbers(logs: Dict[str, Any]) -> Dict[str, float]:
    out = {}
    for k, v in logs.items():
        if k in SKIP_KEYS or isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            out[k] = float(v)
        elif hasattr(v, "item"):
            try:
                out[k] = float(v.item())
            except (TypeError, ValueError):
                pass
    return out


class RftfmCallback(TrainerCallback):
    def __init__(
        self,
        monitor: Optional[Monitor] = None,
        run: Optional[str] = None,
        mode: str = "advise",
        allowed: Optional[Sequence[str]] = None,
        trainer: Any = None,
        pipelined: bool = False,
        **monitor_options: Any,
    ) -> None:
        """pipelined: send each step without waiting for its verdict and apply the verdicts that
        have come by the next logged step (what the trainer pays per step is then the encoding and
        one write; decisions take effect one logged step later)."""
        self.pipelined = pipelined
        self.monitor = monitor
        self._own_monitor = monitor is None
        self.monitor_options = {"mode": mode, "allowed": allowed, **monitor_options}
        self.mode = monitor.mode if monitor is not None else mode
        self.run = run
        self.trainer = trainer
        self.actions = ActionLog()
        self.verdicts: List[Verdict] = []
        self._events: List[Dict[str, Any]] = []
        self._optimizer = None
        self._scheduler = None

    def attach(self, trainer: Any) -> "RftfmCallback":
        """Lets the callback read per-trajectory data and set `beta` on this trainer."""
        self.trainer = trainer
        return self

    # -- trainer events -----------------------------------------------------------------------

    def on_train_begin(self, args, state, control, **kwargs):
        self._optimizer = kwargs.get("optimizer")
        self._scheduler = kwargs.get("lr_scheduler")
        if self.run is None:
            self.run = getattr(args, "run_name", None) or os.path.basename(os.path.normpath(args.output_dir))
        if state.is_world_process_zero and self.monitor is None:
            self.monitor = Monitor(**self.monitor_options)

    def on_save(self, args, state, control, **kwargs):
        path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        self._events.append({"name": "checkpoint", "step": state.global_step, "path": path})

    def on_log(self, args, state, control, logs=None, **kwargs):
        self._optimizer = kwargs.get("optimizer") or self._optimizer
        self._scheduler = kwargs.get("lr_scheduler") or self._scheduler
        logs = logs or {}
        # The last on_log of a run is its summary (train_runtime, train_loss), not a step.
        training_step = "loss" in logs and not any(k.startswith("eval_") or k == "train_runtime" for k in logs)
        decided: List[Dict[str, Any]] = []
        if training_step and state.is_world_process_zero and self.monitor is not None:
            decided = self._judge(state.global_step, logs)
        decided = self._share(decided)
        for a in decided:
            self._apply(Action(a["kind"], {k: v for k, v in a.items() if k != "kind"}), state, control)

    def on_train_end(self, args, state, control, **kwargs):
        if self.pipelined and self.monitor is not None:
            # The last steps' verdicts, recorded (training is over: nothing left to apply).
            for verdict in self.monitor.verdicts(wait_ms=self.monitor.budget * 1000):
                self._record(verdict)
        if self._own_monitor and self.monitor is not None:
            self.monitor.close()
            self.monitor = None

    # -- the monitor ----------------------------------------------------------------------------

    def _trajectories(self) -> Optional[Dict[str, List[float]]]:
        """The latest generation's rewards and advantages (GRPOTrainer keeps them to log completions)."""
        logs = getattr(self.trainer, "_logs", None)
        if not isinstance(logs, dict):
            return None
        try:
            rewards = logs.get("rewards") or {}
            columns = [list(v) for v in rewards.values()]
            if not columns:
                return None
            n = len(columns[0])
            if n == 0 or any(len(c) != n for c in columns):
                return None
            weights = getattr(getattr(self.trainer, "reward_weights", None), "tolist", lambda: None)() or [1.0] * len(columns)
            reward = [sum(w * c[i] for w, c in zip(weights, columns)) for i in range(n)]
            out = {"reward": reward}
            adv = list(logs.get("advantages") or [])
            if len(adv) == n:
                out["advantage"] = adv
            g = getattr(self.trainer, "num_generations", None)
            if isinstance(g, int) and g > 0:
                out["group"] = [i // g for i in range(n)]
            return out
        except Exception as err:  # private trainer state: a change in TRL must not break training
            log.debug("rftfm: no per-trajectory data: %s", err)
            return None

    def _judge(self, step: int, logs: Dict[str, Any]) -> List[Dict[str, Any]]:
        metrics = canonical_metrics(_numbers(logs))
        events, self._events = self._events, []
        trajectories = self._trajectories()
        if self.pipelined:
            verdicts = self.monitor.verdicts()
            self.monitor.submit(self.run, step, metrics, trajectories=trajectories, events=events)
        else:
            verdicts = [self.monitor.observe(self.run, step, metrics, trajectories=trajectories, events=events)]
        return [a.to_dict() for verdict in verdicts for a in self._record(verdict)]

    def _record(self, verdict: Verdict) -> List[Action]:
        self.verdicts.append(verdict)
        if verdict.errors and verdict.available:
            log.warning("rftfm: %s", "; ".join(verdict.errors))
        self.actions.advise(verdict)
        if verdict.actions:
            log.warning("rftfm: %s: %s", describe(verdict), [a.to_dict() for a in verdict.actions])
        return verdict.actions

    def _share(self, decided: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Rank 0's actions, on every rank (so that all ranks stop, or change the LR, together)."""
        try:
            import torch.distributed as dist
        except ImportError:
            return decided
        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return decided
        box = [decided]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    # -- applying ---------------------------------------------------------------------------------

    def _apply(self, action: Action, state, control) -> None:
        step = state.global_step
        record = state.is_world_process_zero
        def note(status: str, detail: str = "") -> None:
            if record:
                self.actions.add(step, action, status, detail)
                if status == "applied" and action.kind in CHANGES_TRAINING:
                    self._events.append({"name": "action_applied", "step": step, "action": action.kind})

        kind = action.kind
        if kind == "halt":
            control.should_save = True
            control.should_training_stop = True
            note("applied", f"checkpoint saved, training stopped: {action.get('reason', '')}")
        elif kind == "alert":
            log.warning("rftfm alert: %s", action.get("message", ""))
            note("applied", "logged")
        elif kind == "scale_lr":
            note(*self._scale_lr(float(action.get("factor", 1.0))))
        elif kind == "set_hparam":
            note(*self._set_hparam(str(action.get("name")), action.get("value")))
        elif kind in ("rollback", "restart_workers"):
            if supervised():
                note("supervisor", "rftfm run stops the trainer and relaunches it")
            else:
                note("refused", "needs the supervisor: run the training command under `rftfm run -- ...`")
        else:
            note("refused", f"{kind} cannot be applied from a TRL callback")

    def _scale_lr(self, factor: float):
        if self._optimizer is None:
            return "refused", "no optimizer in the callback's arguments"
        for group in self._optimizer.param_groups:
            group["lr"] *= factor
        # The scheduler computes each step's LR from base_lrs: scaled there too, or it undoes the change.
        if self._scheduler is not None and hasattr(self._scheduler, "base_lrs"):
            self._scheduler.base_lrs = [lr * factor for lr in self._scheduler.base_lrs]
        return "applied", f"learning rate x{factor}"

    def _set_hparam(self, name: str, value: Any):
        if name not in BETA_NAMES:
            return "refused", f"{name} cannot be changed from a TRL callback (beta / kl_coef can)"
        if self.trainer is None:
            return "refused", "the callback was not given the trainer (RftfmCallback(trainer=...) or attach)"
        if getattr(self.trainer, "beta", 0.0) == 0.0 or getattr(self.trainer, "ref_model", None) is None:
            return "refused", "beta is 0: the trainer has no reference model to take a KL to"
        self.trainer.beta = float(value)
        return "applied", f"beta = {value}"
