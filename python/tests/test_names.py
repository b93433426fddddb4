"""The callbacks' metric names go through the log adapters' own table (dist/names.json,
exported from src/ingest/parse/names.ts at build time): the Python mapping gives what the
library's canonicalMetrics gives on the same logs."""
import json
import subprocess
from pathlib import Path

from rftfm._locate import node_binary
from rftfm.names import canonical_metrics

LOGS = [
    # TRL GRPO >= 0.17 as on_log sees it
    {"loss": 0.1, "grad_norm": 2.1, "learning_rate": 1e-5, "reward": 0.4, "reward_std": 0.2, "kl": 0.01,
     "entropy": 4.1, "completions/mean_length": 7.5, "completions/clipped_ratio": 0.5,
     "clip_ratio/region_mean": 0.0, "rewards/my_fn/mean": 0.4, "step_time": 1.2, "frac_reward_zero_std": 0.25},
    # an alias and its canonical name both present; a logger prefix; an unknown name kept whole
    {"reward": 1.0, "reward_mean": 2.0, "train/kl": 0.3, "kl": 0.4, "train/whatever": 5.0, "clip_ratio": 0.1},
    # verl
    {"critic/score/mean": 0.5, "critic/rewards/mean": 0.45, "actor/entropy": 1.0, "actor/entropy_loss": 1.1,
     "actor/grad_norm": 0.9, "response_length/mean": 120.0, "timing_s/step": 30.0},
]


def library_mapping(logs):
    # The library's own bundle, in the checkout these tests sit in (the wheel carries the CLI only).
    index = (Path(__file__).resolve().parents[2] / "dist" / "index.js").as_uri()
    script = (
        f"import {{ canonicalMetrics }} from {json.dumps(index)};"
        "let t='';process.stdin.on('data',d=>t+=d).on('end',()=>"
        "console.log(JSON.stringify(JSON.parse(t).map(canonicalMetrics))))"
    )
    out = subprocess.run([node_binary(), "--input-type=module", "-e", script], input=json.dumps(logs),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_same_mapping_as_the_library():
    assert [canonical_metrics(log) for log in LOGS] == library_mapping(LOGS)


def test_trl_names_land_on_canonical_ones():
    m = canonical_metrics(LOGS[0])
    assert m["reward_mean"] == 0.4 and m["lr"] == 1e-5 and m["kl_ref"] == 0.01
    assert m["response_length_mean"] == 7.5 and m["truncation_rate"] == 0.5
    assert m["rewards/my_fn/mean"] == 0.4  # unknown names are kept
