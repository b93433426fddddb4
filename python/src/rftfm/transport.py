"""How the client reaches the sidecar: NDJSON over a spawned process's stdio or a Unix
socket, or one POST per request over loopback HTTP. Every wait is bounded: a request
either gets its reply within its timeout or raises, and a late reply to a request the
client gave up on is recognised by its id and dropped."""
import http.client
import itertools
import json
import math
import queue
import socket
import subprocess
import threading
import time
from typing import Any, Dict, List, Optional
from urllib.parse import quote, urlparse


class TransportDown(Exception):
    """The sidecar is gone (exited, connection closed, refused)."""


class TransportTimeout(Exception):
    """No reply within the timeout; the connection may still be fine."""


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def encode(obj: Dict[str, Any]) -> bytes:
    """One JSON line; non-finite numbers as the strings telemetry.md spells them (JSON has no NaN)."""
    try:
        text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    except ValueError:
        # The slow path only when a NaN or an infinity is in there.
        text = json.dumps(_finite(obj), separators=(",", ":"), allow_nan=False)
    return text.encode("utf8") + b"\n"


class LineTransport:
    """A conversation over a byte stream pair: a writer thread with a bounded queue (a stuck
    sidecar fills it and further requests fail at once instead of piling up), a reader thread
    that hands each reply to the request waiting for its id."""

    QUEUE = 64

    def __init__(self, rfile, wfile) -> None:
        self._rfile = rfile
        self._wfile = wfile
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._waiting: Optional[int] = None
        self._reply: Optional[Dict[str, Any]] = None
        self.alive = True
        self._out: "queue.Queue[Optional[bytes]]" = queue.Queue(self.QUEUE)
        threading.Thread(target=self._read, name="rftfm-reader", daemon=True).start()
        threading.Thread(target=self._write, name="rftfm-writer", daemon=True).start()

    def _down(self) -> None:
        with self._cond:
            self.alive = False
            self._cond.notify_all()

    def _read(self) -> None:
        try:
            for line in self._rfile:
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                with self._cond:
                    if self._waiting is not None and obj.get("id") == self._waiting:
                        self._reply = obj
                        self._cond.notify_all()
        except (OSError, ValueError):
            pass
        self._down()

    def _write(self) -> None:
        while True:
            data = self._out.get()
            if data is None:
                break
            try:
                self._wfile.write(data)
                self._wfile.flush()
            except (OSError, ValueError):
                self._down()
                break

    def send(self, obj: Dict[str, Any]) -> None:
        """Sends without waiting for the reply (which is dropped when it comes)."""
        if not self.alive:
            raise TransportDown("the sidecar is gone")
        try:
            self._out.put_nowait(encode(obj))
        except queue.Full:
            raise TransportTimeout(f"{self.QUEUE} requests already waiting to be written: the sidecar is not reading")

    def request(self, obj: Dict[str, Any], timeout: float) -> Dict[str, Any]:
        rid = next(self._ids)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._waiting = rid
            self._reply = None
        self.send({**obj, "id": rid})
        with self._cond:
            while self._reply is None and self.alive:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            reply, self._reply, self._waiting = self._reply, None, None
            if reply is not None:
                return reply
            if not self.alive:
                raise TransportDown("the sidecar closed the connection")
        raise TransportTimeout(f"no reply within {timeout * 1000:.0f} ms")

    def close(self, timeout: float = 5.0) -> None:
        try:
            self._out.put_nowait(None)
        except queue.Full:
            pass


class StdioTransport(LineTransport):
    """Spawns `rftfm serve --stdio` and talks to it over its stdin and stdout."""

    def __init__(self, command: List[str]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, bufsize=0
        )
        super().__init__(self.process.stdout, self.process.stdin)

    def close(self, timeout: float = 5.0) -> None:
        super().close()
        # Closing stdin ends the sidecar, which saves its state first (with --state-dir).
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            if self._out.empty():
                try:
                    self.process.stdin.close()
                except OSError:
                    pass
            time.sleep(0.01)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()


class UnixTransport(LineTransport):
    def __init__(self, path: str, timeout: float) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as err:
            self.sock.close()
            raise TransportDown(f"unix:{path}: {err}") from err
        self.sock.settimeout(None)
        super().__init__(self.sock.makefile("rb"), self.sock.makefile("wb"))

    def close(self, timeout: float = 5.0) -> None:
        super().close()
        time.sleep(0)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class HttpTransport:
    """One POST /v1/observe per request, on a kept-alive loopback connection."""

    def __init__(self, url: str, timeout: float) -> None:
        u = urlparse(url)
        if u.scheme != "http" or not u.hostname:
            raise ValueError(f"RFTFM_URL={url}: expected http://HOST:PORT or unix:///PATH")
        self.host, self.port = u.hostname, u.port or 80
        self.conn: Optional[http.client.HTTPConnection] = None
        self.alive = True
        self._call("GET", "/healthz", None, timeout)

    def _call(self, method: str, path: str, body: Optional[bytes], timeout: float) -> Dict[str, Any]:
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
                self.conn.connect()
            self.conn.sock.settimeout(timeout)
            self.conn.request(method, path, body=body, headers={"content-type": "application/json"})
            response = self.conn.getresponse()
            data = response.read()
        except socket.timeout as err:
            self._drop()
            raise TransportTimeout(f"no reply within {timeout * 1000:.0f} ms") from err
        except (OSError, http.client.HTTPException) as err:
            self._drop()
            raise TransportDown(f"http://{self.host}:{self.port}: {err}") from err
        return json.loads(data) if data else {}

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def send(self, obj: Dict[str, Any]) -> None:
        self._call("POST", "/v1/observe", encode(obj), 5.0)

    def request(self, obj: Dict[str, Any], timeout: float) -> Dict[str, Any]:
        if obj.get("kind") == "summary":
            return self._call("GET", f"/v1/runs/{quote(str(obj.get('run')), safe='')}/summary", None, timeout)
        return self._call("POST", "/v1/observe", encode(obj), timeout)

    def close(self, timeout: float = 5.0) -> None:
        self._drop()
