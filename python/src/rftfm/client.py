"""rftfm.Monitor: judges each training step through the rftfm sidecar, and never stops
training because of it (fail-open)."""
import base64
import logging
import os
import sys
import time
from array import array
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from ._locate import serve_command
from .transport import HttpTransport, StdioTransport, TransportDown, TransportTimeout, UnixTransport
from .types import RunSummary, Verdict, summary_from, verdict_from

log = logging.getLogger("rftfm")

URL_ENV = "RFTFM_URL"
#: Default wait for a verdict, per step. A training step of an LM takes seconds; the sidecar
#: answers in about a millisecond (docs/python.md has the measured figures), so 50 ms is far
#: above its normal latency and far below a step.
DEFAULT_BUDGET_MS = 50.0
ACTION_KINDS = (
    "rollback", "scale_lr", "set_hparam", "filter_groups", "skip_batch", "resync_weights",
    "restart_workers", "quarantine_prompts", "halt", "alert",
)  # fmt: skip

Columns = Mapping[str, Any]
Event = Union[str, Mapping[str, Any]]


def _f64(data: bytes) -> Dict[str, str]:
    return {"f64": base64.b64encode(data).decode("ascii")}


def _column(values: Any) -> Any:
    """A trajectory column as the sidecar reads it fastest: its float64 values, little-endian,
    base64 (`{"f64": ...}`); a column that is not all numbers goes as a JSON list (a None is a
    missing cell there)."""
    if hasattr(values, "dtype") and hasattr(values, "astype"):  # numpy, without importing it
        try:
            return _f64(values.astype("<f8", copy=False).tobytes())
        except (TypeError, ValueError):
            return values.tolist()
    if hasattr(values, "tolist"):  # a torch tensor, say
        values = values.tolist()
    try:
        a = array("d", values)
    except TypeError:
        return list(values)
    if sys.byteorder == "big":
        a.byteswap()
    return _f64(a.tobytes())


def _scalar(x: Any) -> Any:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return x
    if hasattr(x, "item"):  # a numpy scalar or a 0-d tensor
        return x.item()
    return float(x)


class Monitor:
    """The monitor of one or many runs, over one sidecar.

    mode: "advise" (default: actions come back as `recommendations`, nothing is applied) or
    "act" (actions come back in `actions`, limited to `allowed`).
    budget_ms: the most `observe` waits for a verdict; past it the step goes on without one.
    url: a running server (`http://127.0.0.1:PORT` or `unix:///path`), default $RFTFM_URL;
    without one, a sidecar is spawned over stdio (`rftfm serve --stdio`).
    state_dir: the spawned sidecar saves its state there at checkpoints and on close, and a
    respawned one restores it.
    calibration: a calibration file of the run's setup (`rftfm calibrate`): the spawned sidecar
    judges against it, with the healthy prior on (`rftfm serve --calibration`).
    """

    #: Submitted steps that may wait for their verdict at once; past that the oldest is given up.
    MAX_PENDING = 1024

    def __init__(
        self,
        mode: str = "advise",
        allowed: Optional[Sequence[str]] = None,
        budget_ms: float = DEFAULT_BUDGET_MS,
        url: Optional[str] = None,
        state_dir: Optional[str] = None,
        command: Optional[List[str]] = None,
        calibration: Optional[str] = None,
        startup_timeout_s: float = 15.0,
        reconnect_interval_s: float = 1.0,
    ) -> None:
        if mode not in ("act", "advise"):
            raise ValueError(f"mode: expected 'act' or 'advise', got {mode!r}")
        if allowed is not None:
            unknown = [k for k in allowed if k not in ACTION_KINDS]
            if unknown:
                raise ValueError(f"allowed: unknown action kinds {unknown} (known: {', '.join(ACTION_KINDS)})")
        self.mode = mode
        self.allowed = list(allowed) if allowed is not None else None
        self.budget = budget_ms / 1000.0
        self.url = url if url is not None else os.environ.get(URL_ENV)
        self.state_dir = state_dir
        self.command = command
        self.calibration = calibration
        self.startup_timeout = startup_timeout_s
        self.reconnect_interval = reconnect_interval_s
        self.stats = {"verdicts": 0, "timeouts": 0, "down": 0, "reconnects": 0}
        self._transport: Any = None
        self._configured: set = set()
        self._next_try = 0.0
        self._logged: set = set()
        self._closed = False
        self._connect(wait=self.startup_timeout)

    # -- connection -------------------------------------------------------------------------

    def _log_once(self, key: str, message: str) -> None:
        if key not in self._logged:
            self._logged.add(key)
            log.warning("rftfm: %s", message)

    def _connect(self, wait: float) -> bool:
        """Starts or reaches the sidecar. `wait` > 0: until it answers, at most that long."""
        t: Any = None
        try:
            if self.url and self.url.startswith("unix://"):
                t = UnixTransport(self.url[len("unix://"):], max(wait, self.budget))
            elif self.url:
                t = HttpTransport(self.url, max(wait, self.budget))
            else:
                extra = ["--calibration", str(self.calibration)] if self.calibration else []
                t = StdioTransport(self.command or serve_command(self.state_dir, extra))
            if wait > 0 and not isinstance(t, HttpTransport):
                t.request({"kind": "health"}, wait)
        except (TransportDown, TransportTimeout, OSError, ValueError) as err:
            if t is not None:
                t.close(timeout=0)
            self._log_once(f"connect:{type(err).__name__}", f"cannot reach the sidecar ({err}); training goes on unmonitored, retrying")
            self._next_try = time.monotonic() + self.reconnect_interval
            return False
        self._transport = t
        self._configured = set()
        return True

    def _lost(self, err: Exception) -> None:
        self.stats["down"] += 1
        self._log_once("down", f"the sidecar is gone ({err}); training goes on unmonitored, reconnecting")
        try:
            if self._transport is not None:
                self._transport.close(timeout=0)
        except Exception:  # a dying transport may fail any way; the trainer must not see it
            pass
        self._transport = None
        self._next_try = time.monotonic()

    def _ready(self) -> bool:
        if self._transport is not None and getattr(self._transport, "alive", True):
            return True
        if self._transport is not None:
            self._lost(TransportDown("connection closed"))
        if self._closed or time.monotonic() < self._next_try:
            return False
        self.stats["reconnects"] += 1
        # No wait: a respawned sidecar answers once it is up; until then steps time out within budget.
        return self._connect(wait=0)

    def _policy(self, run: str) -> None:
        if run in self._configured:
            return
        request: Dict[str, Any] = {"kind": "configure", "run": run, "mode": self.mode}
        if self.allowed is not None:
            request["allowed"] = self.allowed
        self._transport.send(request)
        self._configured.add(run)

    # -- API --------------------------------------------------------------------------------

    def _request(
        self, run: str, step: int, metrics: Mapping[str, Any], trajectories: Optional[Columns], events: Optional[Iterable[Event]]
    ) -> Dict[str, Any]:
        request: Dict[str, Any] = {
            "kind": "step",
            "run": run,
            "step": int(step),
            "metrics": {k: _scalar(v) for k, v in metrics.items() if v is not None},
        }
        if trajectories is not None:
            request["trajectories"] = {k: _column(v) for k, v in trajectories.items()}
        if events:
            request["events"] = [{"name": e} if isinstance(e, str) else dict(e) for e in events]
        return request

    def _verdict(self, run: str, step: int, reply: Dict[str, Any]) -> Verdict:
        if reply.get("kind") != "verdict":
            message = reply.get("error", f"unexpected reply {reply.get('kind')!r}")
            self._log_once(f"error:{message}", f"step {step} of {run}: {message}")
            return Verdict(run=run, step=int(step), available=False, errors=[str(message)])
        self.stats["verdicts"] += 1
        return verdict_from(reply)

    def observe(
        self,
        run: str,
        step: int,
        metrics: Mapping[str, Any],
        trajectories: Optional[Columns] = None,
        events: Optional[Iterable[Event]] = None,
    ) -> Verdict:
        """Judges one step: metrics by telemetry.md names, the step's trajectory columns (lists or
        numpy arrays, all of one length), events since the last step (`"checkpoint"` or
        `{"name": "checkpoint", "path": ...}`). Never raises for a sidecar problem: without a verdict
        within the budget, returns one with `available=False`."""
        try:
            request = self._request(run, step, metrics, trajectories, events)
        except (TypeError, ValueError) as err:
            self._log_once(f"input:{err}", f"step {step} of {run}: {err}")
            return Verdict(run=run, step=int(step), available=False, errors=[f"input: {err}"])
        if not self._ready():
            return Verdict(run=run, step=int(step), available=False, errors=["sidecar unavailable"])
        try:
            self._policy(run)
            reply = self._transport.request(request, self.budget)
        except TransportTimeout as err:
            self.stats["timeouts"] += 1
            self._log_once("timeout", f"no verdict within the budget ({err}); the step goes on without one")
            return Verdict(run=run, step=int(step), available=False, errors=[str(err)])
        except TransportDown as err:
            self._lost(err)
            return Verdict(run=run, step=int(step), available=False, errors=[str(err)])
        return self._verdict(run, step, reply)

    def submit(
        self,
        run: str,
        step: int,
        metrics: Mapping[str, Any],
        trajectories: Optional[Columns] = None,
        events: Optional[Iterable[Event]] = None,
    ) -> bool:
        """`observe` without the wait: sends the step and returns at once; its verdict comes from a
        later `verdicts()`. What the trainer pays per step is then the encoding and one write (the
        monitor works while the trainer trains). False when the step could not be sent (bad input,
        sidecar unavailable); never raises for a sidecar problem."""
        try:
            request = self._request(run, step, metrics, trajectories, events)
        except (TypeError, ValueError) as err:
            self._log_once(f"input:{err}", f"step {step} of {run}: {err}")
            return False
        if not self._ready():
            return False
        try:
            self._policy(run)
            self._transport.submit(request, (run, int(step)), self.MAX_PENDING)
        except TransportTimeout as err:  # the sidecar is not reading: backpressure
            self.stats["timeouts"] += 1
            self._log_once("backpressure", f"step {step} of {run} not sent ({err})")
            return False
        except TransportDown as err:
            self._lost(err)
            return False
        return True

    def verdicts(self, wait_ms: float = 0.0) -> List[Verdict]:
        """The verdicts of submitted steps that have come, in the order they were sent, waiting at
        most `wait_ms` for the rest (0: only those already here). Never raises for a sidecar problem."""
        if self._transport is None:
            return []
        try:
            replies = self._transport.collect(wait_ms / 1000.0)
        except TransportDown as err:
            self._lost(err)
            return []
        return [self._verdict(run, step, reply) for (run, step), reply in replies]

    def summary(self, run: str, timeout_s: float = 5.0) -> Optional[RunSummary]:
        """The run's summary (verdicts.md), or None when the run is unknown or the sidecar unreachable."""
        if not self._ready():
            return None
        try:
            reply = self._transport.request({"kind": "summary", "run": run}, timeout_s)
        except TransportTimeout:
            return None
        except TransportDown as err:
            self._lost(err)
            return None
        return summary_from(reply) if reply.get("kind") == "summary" else None

    def close(self) -> None:
        """Ends the spawned sidecar (which saves its state) or the connection."""
        self._closed = True
        if self._transport is not None:
            try:
                self._transport.close()
            except Exception:
                pass
            self._transport = None

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
