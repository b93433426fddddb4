"""The metric name table of the TRL / verl log adapters, read from the library's build
(dist/names.json, exported from src/ingest/parse/names.ts by `npm run build`), so that
a callback maps trainer names exactly as `rftfm scan` maps them in a log."""
import json
from functools import lru_cache
from typing import Dict, Mapping, Tuple

from ._locate import library_root


@lru_cache(maxsize=1)
def _table() -> dict:
    path = library_root() / "dist" / "names.json"
    try:
        return json.loads(path.read_text("utf8"))
    except OSError as err:
        raise FileNotFoundError(f"{path}: the name table is missing (run `npm run build`)") from err


@lru_cache(maxsize=1)
def _lookup() -> Tuple[Dict[str, Tuple[str, int]], str]:
    t = _table()
    lookup: Dict[str, Tuple[str, int]] = {name: (name, 0) for name in t["canonical_metrics"]}
    for i, (foreign, canonical) in enumerate(t["metric_aliases"]):
        lookup.setdefault(foreign, (canonical, i + 1))
    return lookup, t["logger_prefix"]


def canonical_metrics(raw: Mapping[str, float]) -> Dict[str, float]:
    """Metrics under canonical names where the table knows them, the rest under their own
    (the rules of names.ts: a canonical name wins, then the first alias in table order,
    an unprefixed key over a `train/` one; nothing is dropped)."""
    lookup, prefix = _lookup()
    chosen: Dict[str, Tuple[str, int]] = {}
    for key in raw:
        prefixed = key.startswith(prefix)
        hit = lookup.get(key[len(prefix):] if prefixed else key)
        if hit is None:
            continue
        canonical, priority = hit
        rank = priority * 2 + (1 if prefixed else 0)
        best = chosen.get(canonical)
        if best is None or rank < best[1]:
            chosen[canonical] = (key, rank)
    out: Dict[str, float] = {}
    used = set()
    for canonical, (key, _) in chosen.items():
        out[canonical] = raw[key]
        used.add(key)
    for key in raw:
        if key not in used:
            out[key] = raw[key]
    return out
