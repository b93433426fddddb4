"""rftfm as one of verl's tracking loggers (`trainer.logger`).

verl's `Tracking` (verl/utils/tracking.py) keeps its loggers in a dict, `tracking.logger`,
and calls `log(data=metrics, step=step)` on each after every training step, then
`finish()`. `register(tracking)` adds rftfm there:

    from rftfm.integrations.verl import register
    register(tracker, mode="act", allowed=["halt", "alert"])   # in RayPPOTrainer.fit, after Tracking(...)

Each step's metrics (verl's names, mapped through rftfm's verl name table) go to the
monitor. A halt raises `RftfmHalt` out of the logging call, which ends `fit()` (verl has no
stop flag a logger could set; pass `on_halt=` to do something else, such as saving first);
an alert is logged; every other action is advised (logged, listed in `.actions`), since a
logger cannot change verl's training.
"""
import logging
from typing import Any, Callable, Dict, Optional, Sequence

from ..client import Monitor
from ..names import canonical_metrics
from ..types import Action, Verdict
from ._apply import ActionLog, describe

log = logging.getLogger("rftfm")


class RftfmHalt(RuntimeError):
    """Raised from verl's logging call when the monitor halts the run (act mode, halt allowed)."""

    def __init__(self, verdict: Verdict, action: Action) -> None:
        super().__init__(f"rftfm halted the run at {describe(verdict)}: {action.get('reason', '')}")
        self.verdict = verdict
        self.action = action


class RftfmTracking:
    def __init__(
        self,
        run: str = "verl",
        mode: str = "advise",
        allowed: Optional[Sequence[str]] = None,
        monitor: Optional[Monitor] = None,
        on_halt: Optional[Callable[[Verdict, Action], None]] = None,
        pipelined: bool = False,
        **monitor_options: Any,
    ) -> None:
        """pipelined: send each step without waiting for its verdict and act on the verdicts that
        have come by the next step (one write per step; decisions one step later)."""
        self.run = run
        self.pipelined = pipelined
        self._own = monitor is None
        self.monitor = monitor or Monitor(mode=mode, allowed=allowed, **monitor_options)
        self.on_halt = on_halt
        self.actions = ActionLog()
        self.verdicts = []

    def log(self, data: Dict[str, Any], step: int, backend: Any = None) -> None:
        metrics = {}
        for k, v in data.items():
            if isinstance(v, bool):
                continue
            if hasattr(v, "item"):
                try:
                    v = v.item()
                except (TypeError, ValueError):
                    continue
            if isinstance(v, (int, float)):
                metrics[k] = float(v)
        if self.pipelined:
            verdicts = self.monitor.verdicts()
            self.monitor.submit(self.run, int(step), canonical_metrics(metrics))
        else:
            verdicts = [self.monitor.observe(self.run, int(step), canonical_metrics(metrics))]
        for verdict in verdicts:
            self._act(verdict)

    def _act(self, verdict: Verdict) -> None:
        self.verdicts.append(verdict)
        self.actions.advise(verdict)
        for action in verdict.actions:
            if action.kind == "halt":
                self.actions.add(verdict.step, action, "applied", "stopping the run")
                if self.on_halt is not None:
                    self.on_halt(verdict, action)
                else:
                    raise RftfmHalt(verdict, action)
            elif action.kind == "alert":
                log.warning("rftfm alert: %s", action.get("message", ""))
                self.actions.add(verdict.step, action, "applied", "logged")
            else:
                self.actions.add(verdict.step, action, "advised", "a verl logger cannot apply it: apply by hand")

    def finish(self) -> None:
        if self.pipelined:
            # The last steps' verdicts, recorded; a halt among them has nothing left to stop.
            for verdict in self.monitor.verdicts(wait_ms=self.monitor.budget * 1000):
                self.verdicts.append(verdict)
                self.actions.advise(verdict)
        if self._own:
            self.monitor.close()


def register(tracking: Any, name: str = "rftfm", **options: Any) -> RftfmTracking:
    """Adds an `RftfmTracking` to a verl `Tracking` object's loggers and returns it."""
    backend = RftfmTracking(**options)
    tracking.logger[name] = backend
    return backend
