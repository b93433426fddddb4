"""Where the rftfm Node library and node are: what the stdio transport spawns."""
import os
import shutil
from pathlib import Path
from typing import List, Optional

PACKAGE_ENV = "RFTFM_PACKAGE"
NODE_ENV = "RFTFM_NODE"
STANDALONE = Path("dist") / "standalone" / "rftfm-standalone.js"


def _is_library(root: Path) -> bool:
    return (root / "package.json").is_file() and (
        (root / STANDALONE).is_file() or (root / "dist" / "cli.js").is_file()
    )


def library_root() -> Path:
    """$RFTFM_PACKAGE, else the library the wheel carries, else the checkout this file sits in."""
    env = os.environ.get(PACKAGE_ENV)
    if env:
        root = Path(env)
        if not _is_library(root):
            raise FileNotFoundError(
                f"{PACKAGE_ENV}={env}: no built rftfm library there (expected package.json and "
                f"{STANDALONE} or dist/cli.js; run `npm run build` in it)"
            )
        return root
    here = Path(__file__).resolve().parent
    carried = here / "_lib"
    if _is_library(carried):
        return carried
    for parent in here.parents:
        if _is_library(parent):
            return parent
    raise FileNotFoundError(
        "rftfm: no built library found: install the wheel built after `npm run build`, "
        f"or set {PACKAGE_ENV} to a built rftfm checkout, or {('RFTFM_URL')} to a running `rftfm serve`"
    )


def node_binary() -> str:
    """$RFTFM_NODE, else `node` on PATH."""
    env = os.environ.get(NODE_ENV)
    if env:
        return env
    found = shutil.which("node")
    if not found:
        raise FileNotFoundError(f"rftfm: no `node` on PATH; install Node.js >= 20.17 or set {NODE_ENV}")
    return found


def serve_command(state_dir: Optional[str] = None, extra: Optional[List[str]] = None) -> List[str]:
    """The command line of a stdio sidecar."""
    root = library_root()
    entry = root / STANDALONE
    if not entry.is_file():
        entry = root / "dist" / "cli.js"
    cmd = [node_binary(), str(entry), "serve", "--stdio"]
    if state_dir:
        cmd += ["--state-dir", str(state_dir)]
    return cmd + list(extra or [])
