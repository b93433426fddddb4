"""rftfm: automatic failure management for reinforcement fine-tuning, from Python.

    import rftfm
    with rftfm.Monitor() as monitor:
        verdict = monitor.observe("run-1", step, {"reward_mean": 0.41, "kl_ref": 0.013})
"""
from .client import DEFAULT_BUDGET_MS, Monitor
from .types import Action, Anomaly, Diagnosis, RunSummary, Verdict

__all__ = ["Monitor", "Verdict", "Action", "Anomaly", "Diagnosis", "RunSummary", "DEFAULT_BUDGET_MS"]
__version__ = "0.1.0"
