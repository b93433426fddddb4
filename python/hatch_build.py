"""Build hook: put the built rftfm Node library into the wheel (rftfm/_lib).

The library is taken from $RFTFM_PACKAGE, else from the repository this folder
is in (after `npm run build`). Without it the wheel is pure Python, and the
client finds a library at run time through $RFTFM_PACKAGE.
"""
import os
import sysconfig
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# What the sidecar needs at run time, relative to the package root.
FILES = ["package.json", "dist/names.json", "native/binding.cjs", "wasm/build/rftfm.wasm"]
FOLDERS = ["dist/standalone", "fingerprints", "layout"]


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        root = Path(os.environ.get("RFTFM_PACKAGE") or Path(self.root).parent)
        entry = root / "dist" / "standalone" / "rftfm-standalone.js"
        if not entry.is_file():
            self.app.display_warning(
                f"rftfm: no built library at {root} (run `npm run build` there first); "
                "building a pure-Python wheel that needs $RFTFM_PACKAGE at run time"
            )
            return
        include = build_data["force_include"]
        for rel in FILES:
            if (root / rel).is_file():
                include[str(root / rel)] = f"rftfm/_lib/{rel}"
        for rel in FOLDERS:
            for path in (root / rel).rglob("*"):
                if path.is_file() and not path.name.endswith(".map"):
                    include[str(path)] = f"rftfm/_lib/{path.relative_to(root).as_posix()}"
        # Each addon with its build digest (<addon>.node.sha256), which the loader checks before loading it.
        for addon in (root / "native").glob("*.node"):
            include[str(addon)] = f"rftfm/_lib/native/{addon.name}"
            digest = addon.with_name(addon.name + ".sha256")
            if digest.is_file():
                include[str(digest)] = f"rftfm/_lib/native/{digest.name}"
        # The native addon makes the wheel platform-specific (any Python 3).
        build_data["pure_python"] = False
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        build_data["tag"] = f"py3-none-{platform}"
