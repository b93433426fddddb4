"""A sidecar that misbehaves on purpose, for the client's timeout tests: it answers the
health check, then `stall`s (reads requests, never answers) or `dies` at the first step."""
import json
import sys
import time

behaviour = sys.argv[1]
for line in sys.stdin:
    req = json.loads(line)
    if req.get("kind") == "health":
        sys.stdout.write(json.dumps({"kind": "health", "ok": True, "id": req.get("id")}) + "\n")
        sys.stdout.flush()
    elif req.get("kind") == "step":
        if behaviour == "dies":
            sys.exit(1)
        if behaviour == "slow":
            time.sleep(0.2)
            sys.stdout.write(json.dumps({"kind": "verdict", "run": req["run"], "step": req["step"],
                                         "anomalous": False, "anomalies": [], "diagnosis": [],
                                         "actions": [], "id": req.get("id")}) + "\n")
            sys.stdout.flush()
        # stall: never answer
