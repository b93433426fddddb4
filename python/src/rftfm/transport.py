"""How the client reaches the sidecar: NDJSON over a spawned process's stdio or a Unix
socket, or one POST per request over loopback HTTP. Every wait is bounded: a request
either gets its reply within its timeout or raises, and a late reply to a request the
client gave up on is recognised by its id and dropped."""
import http.client
import itertools
import json
import math
import os
import select
import socket
import subprocess
import time
from typing import Any, Dict, List, Optional, Tuple
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
    """A conversation over a pair of file descriptors (a spawned process's pipes, or a Unix
    socket), driven from the caller's thread: no helper thread to hand replies over, so a
    request costs one write and one read. Both descriptors are non-blocking and every wait
    is a select() with the request's deadline. Backpressure: what the sidecar has not read
    yet stays in a buffer capped at `MAX_UNSENT` bytes; past that requests fail at once
    (the sidecar is not reading) instead of piling up."""

    MAX_UNSENT = 16 * 1024 * 1024

    def __init__(self, rfd: int, wfd: int) -> None:
        self._rfd, self._wfd = rfd, wfd
        os.set_blocking(rfd, False)
        os.set_blocking(wfd, False)
        self._ids = itertools.count(1)
        self._in = bytearray()
        self._out = bytearray()
        # Requests sent without waiting (`submit`): their ids, in order, and the replies that came.
        self._pending: Dict[int, Any] = {}
        self._arrived: List[Tuple[Any, Dict[str, Any]]] = []
        self.alive = True

    def _dead(self, why: str) -> TransportDown:
        self.alive = False
        return TransportDown(why)

    def _flush(self) -> None:
        while self._out:
            try:
                n = os.write(self._wfd, self._out)
            except BlockingIOError:
                return
            except OSError as err:
                raise self._dead(f"the sidecar is gone ({err})")
            del self._out[:n]

    def _queue(self, obj: Dict[str, Any]) -> None:
        if not self.alive:
            raise TransportDown("the sidecar is gone")
        if len(self._out) > self.MAX_UNSENT:
            raise TransportTimeout(f"{len(self._out)} bytes not yet read by the sidecar: it is not reading")
        self._out += encode(obj)
        self._flush()

    def send(self, obj: Dict[str, Any]) -> None:
        """Sends without waiting for the reply (which is dropped when it comes)."""
        self._queue(obj)

    def _reply(self, rid: Optional[int]) -> Optional[Dict[str, Any]]:
        """The reply to `rid` among the complete lines read so far. Replies to submitted requests
        are kept for `collect`; replies to requests given up on are dropped."""
        while True:
            nl = self._in.find(b"\n")
            if nl < 0:
                return None
            line = bytes(self._in[:nl])
            del self._in[: nl + 1]
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            got = obj.get("id")
            if rid is not None and got == rid:
                return obj
            if got in self._pending:
                self._arrived.append((self._pending.pop(got), obj))

    def _wait(self, deadline: float) -> bool:
        """One wait for the sidecar, until the deadline at most (none when it has passed): flushes
        what can go, reads what came. True when something moved."""
        try:
            readable, writable, _ = select.select(
                [self._rfd], [self._wfd] if self._out else [], [], max(0.0, deadline - time.monotonic())
            )
        except (OSError, ValueError) as err:
            raise self._dead(f"the sidecar is gone ({err})")
        if writable:
            self._flush()
        if readable:
            try:
                chunk = os.read(self._rfd, 1 << 20)
            except BlockingIOError:
                return bool(writable)
            except OSError as err:
                raise self._dead(f"the sidecar is gone ({err})")
            if not chunk:
                raise self._dead("the sidecar closed the connection")
            self._in += chunk
        return bool(readable or writable)

    def request(self, obj: Dict[str, Any], timeout: float) -> Dict[str, Any]:
        rid = next(self._ids)
        deadline = time.monotonic() + timeout
        self._queue({**obj, "id": rid})
        while True:
            reply = self._reply(rid)
            if reply is not None:
                return reply
            if time.monotonic() >= deadline:
                raise TransportTimeout(f"no reply within {timeout * 1000:.0f} ms")
            self._wait(deadline)

    def submit(self, obj: Dict[str, Any], tag: Any, max_pending: int) -> None:
        """Sends a request whose reply `collect` hands over later, with `tag`. At most `max_pending`
        wait for their reply: past that the oldest is given up (its reply, should it come, is dropped)."""
        rid = next(self._ids)
        self._queue({**obj, "id": rid})
        self._pending[rid] = tag
        while len(self._pending) > max_pending:
            del self._pending[next(iter(self._pending))]

    def collect(self, timeout: float) -> List[Tuple[Any, Dict[str, Any]]]:
        """The (tag, reply) of submitted requests whose reply has come, in order, waiting at most `timeout`
        for the rest (0: only what is readable now, without blocking)."""
        deadline = time.monotonic() + timeout
        self._reply(None)
        while self._pending:
            moved = self._wait(deadline)
            self._reply(None)
            if time.monotonic() >= deadline and not moved:
                break
        done, self._arrived = self._arrived, []
        return done

    def close(self, timeout: float = 5.0) -> None:
        # What is still unsent gets until the timeout to go (a summary, a last step).
        deadline = time.monotonic() + timeout
        while self._out and self.alive and time.monotonic() < deadline:
            try:
                self._flush()
            except TransportDown:
                break
            if self._out:
                select.select([], [self._wfd], [], max(0.0, deadline - time.monotonic()))


class StdioTransport(LineTransport):
    """Spawns `rftfm serve --stdio` and talks to it over its stdin and stdout."""

    def __init__(self, command: List[str]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, bufsize=0
        )
        super().__init__(self.process.stdout.fileno(), self.process.stdin.fileno())

    def close(self, timeout: float = 5.0) -> None:
        super().close(timeout)
        # Closing stdin ends the sidecar, which saves its state first (with --state-dir).
        for f in (self.process.stdin, self.process.stdout):
            try:
                f.close()
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
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
        super().__init__(self.sock.fileno(), self.sock.fileno())

    def close(self, timeout: float = 5.0) -> None:
        super().close(timeout)
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
        self._arrived: List[Tuple[Any, Dict[str, Any]]] = []
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

    def submit(self, obj: Dict[str, Any], tag: Any, max_pending: int) -> None:
        # One connection cannot pipeline HTTP/1.1 requests here: the request is made now, its reply kept.
        self._arrived.append((tag, self._call("POST", "/v1/observe", encode(obj), 5.0)))

    def collect(self, timeout: float) -> List[Tuple[Any, Dict[str, Any]]]:
        done, self._arrived = self._arrived, []
        return done

    def request(self, obj: Dict[str, Any], timeout: float) -> Dict[str, Any]:
        if obj.get("kind") == "summary":
            return self._call("GET", f"/v1/runs/{quote(str(obj.get('run')), safe='')}/summary", None, timeout)
        return self._call("POST", "/v1/observe", encode(obj), timeout)

    def close(self, timeout: float = 5.0) -> None:
        self._drop()
