"""The verdict shapes of docs/spec/verdicts.md as dataclasses."""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass
class Anomaly:
    signal: str
    score: float
    direction: str
    detector: str


@dataclass
class Diagnosis:
    fault: str
    family: str
    confidence: float
    evidence: List[str] = field(default_factory=list)
    onset: Optional[int] = None


@dataclass
class Action:
    """One remediation action; `fields` holds its kind's fields (to_step, factor, name, value, ...)."""

    kind: str
    fields: Dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, **self.fields}


@dataclass
class Verdict:
    run: str
    step: int
    anomalous: bool = False
    anomalies: List[Anomaly] = field(default_factory=list)
    diagnosis: List[Diagnosis] = field(default_factory=list)
    actions: List[Action] = field(default_factory=list)
    recommendations: List[Action] = field(default_factory=list)
    decisions: List[Dict[str, str]] = field(default_factory=list)
    lacking: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    #: False when no verdict came back within the budget (fail-open): the step went on unjudged.
    available: bool = True


@dataclass
class RunSummary:
    run: str
    steps: int
    alarm: bool
    first_alarm_step: Optional[int]
    diagnosis: List[Diagnosis] = field(default_factory=list)
    actions: List[Action] = field(default_factory=list)
    lacking: List[str] = field(default_factory=list)


def _number(x: Any) -> Any:
    # JSON has no NaN: the sidecar writes non-finite numbers as strings (telemetry.md).
    return float(x) if x in ("NaN", "Infinity", "-Infinity") else x


def action_from(d: Dict[str, Any]) -> Action:
    return Action(kind=str(d.get("kind")), fields={k: v for k, v in d.items() if k != "kind"})


def diagnosis_from(d: Dict[str, Any]) -> Diagnosis:
    return Diagnosis(
        fault=d["fault"],
        family=d["family"],
        confidence=float(_number(d["confidence"])),
        evidence=list(d.get("evidence", [])),
        onset=d.get("onset"),
    )


def verdict_from(d: Dict[str, Any]) -> Verdict:
    return Verdict(
        run=d["run"],
        step=d["step"],
        anomalous=bool(d.get("anomalous")),
        anomalies=[
            Anomaly(a["signal"], float(_number(a["score"])), a["direction"], a["detector"])
            for a in d.get("anomalies", [])
        ],
        diagnosis=[diagnosis_from(x) for x in d.get("diagnosis", [])],
        actions=[action_from(a) for a in d.get("actions", [])],
        recommendations=[action_from(a) for a in d.get("recommendations", [])],
        decisions=list(d.get("decisions", [])),
        lacking=list(d.get("lacking", [])),
        errors=list(d.get("errors", [])),
    )


def summary_from(d: Dict[str, Any]) -> RunSummary:
    return RunSummary(
        run=d["run"],
        steps=d["steps"],
        alarm=bool(d["alarm"]),
        first_alarm_step=d.get("first_alarm_step"),
        diagnosis=[diagnosis_from(x) for x in d.get("diagnosis", [])],
        actions=[action_from(a) for a in d.get("actions", [])],
        lacking=list(d.get("lacking", [])),
    )
