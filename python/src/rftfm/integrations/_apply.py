"""What became of one action in a trainer integration: applied, advised (advise mode),
sent to the supervisor (`rftfm run`), or refused with the reason. Nothing is dropped
silently."""
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..types import Action, Verdict

log = logging.getLogger("rftfm")

#: Set by `rftfm run` for the command it supervises: rollbacks and restarts go to it.
SUPERVISOR_ENV = "RFTFM_SUPERVISOR"
#: Actions that change training: the monitor is told (an `action_applied` event) so that
#: it judges what follows against a fresh baseline.
CHANGES_TRAINING = ("scale_lr", "set_hparam", "rollback", "skip_batch", "filter_groups")


@dataclass
class AppliedAction:
    step: int
    action: Action
    #: "applied", "advised", "supervisor" or "refused".
    status: str
    detail: str = ""


def supervised() -> bool:
    return bool(os.environ.get(SUPERVISOR_ENV))


def describe(verdict: Verdict) -> str:
    best = verdict.diagnosis[0] if verdict.diagnosis else None
    what = f"{best.fault} ({best.confidence:.2f})" if best else "anomaly"
    return f"{verdict.run} step {verdict.step}: {what}"


@dataclass
class ActionLog:
    """Every action a run's verdicts carried, and what became of it."""

    entries: List[AppliedAction] = field(default_factory=list)
    _advised: set = field(default_factory=set)

    def add(self, step: int, action: Action, status: str, detail: str = "") -> AppliedAction:
        entry = AppliedAction(step, action, status, detail)
        self.entries.append(entry)
        level = logging.INFO if status in ("applied", "advised") else logging.WARNING
        log.log(level, "rftfm: step %d: %s %s%s", step, status, action.to_dict(), f": {detail}" if detail else "")
        return entry

    def advise(self, verdict: Verdict) -> None:
        # A recommendation repeated at every step of an episode is logged once.
        for a in verdict.recommendations:
            key = repr(sorted(a.to_dict().items()))
            if key not in self._advised:
                self._advised.add(key)
                self.add(verdict.step, a, "advised", describe(verdict))

    def statuses(self) -> Dict[str, List[str]]:
        out: Dict[str, List[str]] = {}
        for e in self.entries:
            out.setdefault(e.status, []).append(e.action.kind)
        return out
