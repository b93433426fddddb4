"""The sidecar's restart-and-restore, through the client: a sidecar that stops (closed, or
killed after a checkpoint) and is started again on the same state dir gives the verdicts
an uninterrupted one gives."""
import rftfm
from conftest import PATIENT_MS, decision, steps

DATA = steps(45, nan_from=32)


def checkpoint_events(s):
    return ["checkpoint"] if s % 10 == 9 else None


def straight():
    with rftfm.Monitor(mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS) as m:
        return [decision(m.observe("r", s, mt, trajectories=c, events=checkpoint_events(s))) for s, mt, c in DATA]


def test_closed_and_restarted_on_its_state_dir(tmp_path):
    expected = straight()
    got = []
    m = rftfm.Monitor(mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS, state_dir=str(tmp_path))
    for s, mt, c in DATA[:23]:
        got.append(decision(m.observe("r", s, mt, trajectories=c, events=checkpoint_events(s))))
    m.close()  # the sidecar saves its state on the way out
    m = rftfm.Monitor(mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS, state_dir=str(tmp_path))
    for s, mt, c in DATA[23:]:
        got.append(decision(m.observe("r", s, mt, trajectories=c, events=checkpoint_events(s))))
    m.close()
    assert got == expected
    assert any(v[3] for v in expected)  # some halt or alert was given


def test_killed_after_a_checkpoint_resumes_from_it(tmp_path):
    expected = straight()
    m = rftfm.Monitor(mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS, state_dir=str(tmp_path))
    got = []
    for s, mt, c in DATA[:20]:
        got.append(decision(m.observe("r", s, mt, trajectories=c, events=checkpoint_events(s))))
    m._transport.process.kill()  # no chance to save: the state is the one of the checkpoint at step 19
    m.close()
    m = rftfm.Monitor(mode="act", allowed=["halt", "alert"], budget_ms=PATIENT_MS, state_dir=str(tmp_path))
    for s, mt, c in DATA[20:]:
        got.append(decision(m.observe("r", s, mt, trajectories=c, events=checkpoint_events(s))))
    m.close()
    assert got == expected
