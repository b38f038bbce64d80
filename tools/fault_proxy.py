"""A fault proxy: a small threaded HTTP forwarder on 127.0.0.1, put in front of
a Magento on this machine (the real one, or the double), that breaks chosen
requests on command. Plain Python, stdlib only::

    python tools/fault_proxy.py --upstream http://127.0.0.1:8280 --port 8281

Controlled like the double (JSON bodies):

- ``POST /__proxy__/faults`` ``{"kind": "hold", "method": "POST", "path": "/invoice$",
  "times": 1, "seconds": 30}``: the next matching request(s) meet that fault;
- ``POST /__proxy__/chaos`` ``{"rate": 0.2, "seed": 7, "kinds": [...], "method": "POST"}``:
  that share of matching requests meets a fault at random;
- ``POST /__proxy__/clear``: forgets faults and chaos;
- ``GET /__proxy__/state``: counts (requests, forwarded, answered, faults by
  kind) and the last requests; ``GET /__proxy__/wait?forwarded=N&timeout=S``.

Fault kinds:

- ``drop_after``: forward, let Magento answer fully, then close the client's
  connection without a byte of the answer (the lost answer);
- ``hold``: forward, then hold Magento's answer ``seconds`` before passing it
  on (past the client's timeout: the client gives up, Magento has done it);
- ``reset``: close the connection (a TCP reset) before forwarding anything;
- ``error``: answer a proxy's HTML page (``status`` 502, 503 or 500) without
  forwarding;
- ``slow``: forward, and answer ``seconds`` later (below the client's timeout).

Everything else passes through byte for byte, the request line and headers
included. That matters for OAuth: Magento verifies the signature against
``getScheme()://getHttpHost(false) . getRequestUri()``
(vendor/magento/framework/Oauth/Helper/Request.php:55-58), that is the Host
header *as received* and the path as sent, not its configured base URL. So
the client signs for the proxy's address (``http://127.0.0.1:<proxy port>``),
the proxy keeps that Host header, and Magento accepts it. For the same reason
the upstream must be plain HTTP on this machine: a shop behind TLS or a
virtual host would sign with its own scheme or refuse the foreign Host.
"""

import argparse
import json
import random
import re
import signal
import socket
import socketserver
import struct
import threading
import time
from collections import Counter, deque
from urllib.parse import parse_qsl, urlsplit

KINDS = ("drop_after", "hold", "reset", "error", "slow")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
CHAOS_KINDS = ("drop_after", "reset", "error")
DEFAULT_SECONDS = {"hold": 30.0, "slow": 1.0}
ERROR_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Temporarily Unavailable"}
MAX_LINE = 65536


class Fault:
    """One injected fault, matched on method and path, used ``times`` times (None: always)."""

    def __init__(self, kind, *, method=None, path=None, times=1, seconds=None, status=None):
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(KINDS)}")
        self.kind = kind
        self.method = method
        self.path = re.compile(path) if path else None
        self.times = times
        self.seconds = float(seconds if seconds is not None else DEFAULT_SECONDS.get(kind, 0))
        self.status = int(status or 503)
        self.used = 0

    def matches(self, method, path):
        return (
            (self.times is None or self.used < self.times)
            and (self.method is None or self.method == method)
            and (self.path is None or bool(self.path.search(path)))
        )


# ---------------------------------------------------------------- HTTP framing
class Message:
    """A request or response as raw bytes, with what the relay needs to know of it."""

    def __init__(self, head, headers, body, first_line):
        self.head = head
        self.headers = headers
        self.body = body
        self.first_line = first_line

    @property
    def raw(self):
        return self.head + self.body

    def wants_close(self):
        return "close" in self.headers.get("connection", "").lower()


def read_head(stream):
    """The start line and headers, raw, and the headers by lower-cased name; None at EOF."""
    line = stream.readline(MAX_LINE)
    if not line:
        return None
    lines = [line]
    headers = {}
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            raise ConnectionError("connection closed inside the headers")
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return b"".join(lines), headers, lines[0].decode("latin-1").strip()


def read_chunked(stream):
    """A chunked body, raw (its chunk sizes and trailers kept)."""
    parts = []
    while True:
        size_line = stream.readline(MAX_LINE)
        parts.append(size_line)
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, up to the blank line
                trailer = stream.readline(MAX_LINE)
                parts.append(trailer)
                if trailer in (b"\r\n", b"\n", b""):
                    return b"".join(parts)
        parts.append(_read_exactly(stream, size + 2))


def _read_exactly(stream, size):
    data = stream.read(size)
    if len(data) < size:
        raise ConnectionError("connection closed inside the body")
    return data


def read_request(stream):
    """A client's request, or None when it closed the connection between requests."""
    head = read_head(stream)
    if head is None:
        return None
    raw, headers, first_line = head
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = read_chunked(stream)
    else:
        body = _read_exactly(stream, int(headers.get("content-length") or 0))
    return Message(raw, headers, body, first_line)


def read_response(stream, method):
    """Magento's answer; ``close`` is set when its end is the connection's end."""
    head = read_head(stream)
    if head is None:
        raise ConnectionError("upstream closed the connection without answering")
    raw, headers, first_line = head
    status = int(first_line.split()[1])
    response = Message(raw, headers, b"", first_line)
    response.close = response.wants_close()
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return response
    if "chunked" in headers.get("transfer-encoding", "").lower():
        response.body = read_chunked(stream)
    elif "content-length" in headers:
        response.body = _read_exactly(stream, int(headers["content-length"]))
    else:  # the body ends with the connection
        response.body = stream.read()
        response.close = True
    return response


# ---------------------------------------------------------------- the proxy
class FaultProxy:
    """The proxy: ``with FaultProxy("http://127.0.0.1:8280") as proxy: proxy.url``."""

    def __init__(self, upstream, port=0, host="127.0.0.1", upstream_timeout=600.0, journal=500):
        if host not in LOOPBACK:
            raise ValueError(f"the fault proxy serves 127.0.0.1 only, not {host!r}")
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise ValueError(f"the upstream must be a plain-HTTP server on this machine, not {upstream!r}")
        self.upstream = (parts.hostname, parts.port or 80)
        self.upstream_timeout = upstream_timeout
        self.faults = []
        self.chaos_settings = None
        self.counts = Counter()
        self.fault_counts = Counter()
        self.journal = deque(maxlen=journal)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.connections = set()
        self.server = _Server((host, port), _Handler)
        self.server.proxy = self
        self.thread = None

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------ control
    def inject(self, kind, **options):
        fault = Fault(kind, **options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def chaos(self, rate, seed=0, kinds=CHAOS_KINDS, method="POST", path=None, seconds=None, status=None):
        for kind in kinds:
            Fault(kind)  # refuses an unknown kind now, not at the first request
        with self.lock:
            self.chaos_settings = {
                "rate": float(rate),
                "random": random.Random(seed),
                "kinds": list(kinds),
                "filter": Fault("slow", method=method, path=path, times=None),
                "seconds": seconds,
                "status": status,
            }

    def clear(self):
        with self.lock:
            self.faults = []
            self.chaos_settings = None

    def state(self):
        with self.lock:
            return {
                "upstream": "http://{}:{}".format(*self.upstream),
                "counts": dict(self.counts),
                "faults": dict(self.fault_counts),
                "pending_faults": [f.kind for f in self.faults if f.times is None or f.used < f.times],
                "chaos": self.chaos_settings and {k: self.chaos_settings[k] for k in ("rate", "kinds")},
                "requests": list(self.journal),
            }

    def pick(self, method, path):
        """The fault this request meets, if any (counted as used)."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.used += 1
                    self.fault_counts[fault.kind] += 1
                    return fault
            chaos = self.chaos_settings
            if chaos and chaos["filter"].matches(method, path) and chaos["random"].random() < chaos["rate"]:
                kind = chaos["random"].choice(chaos["kinds"])
                self.fault_counts[kind] += 1
                return Fault(kind, seconds=chaos["seconds"], status=chaos["status"])
        return None

    def record(self, entry):
        with self.lock:
            self.journal.append(entry)
            self.counts["requests"] += 1
            if entry.get("forwarded"):
                self.counts["forwarded"] += 1
            if entry.get("answered"):
                self.counts["answered"] += 1

    # ------------------------------------------------------------ lifetime
    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stop at once: held answers are let go, open connections closed."""
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            _quietly(connection.shutdown, socket.SHUT_RDWR)
        if self.thread is not None:
            self.thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _quietly(call, *args):
    try:
        call(*args)
    except OSError:
        pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes the connections itself
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gave up (its timeout) is part of the game.
        pass


class _Handler(socketserver.StreamRequestHandler):
    """One client connection: requests relayed one after the other (keep-alive)."""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.proxy = self.server.proxy
        with self.proxy.lock:
            self.proxy.connections.add(self.connection)

    def finish(self):
        with self.proxy.lock:
            self.proxy.connections.discard(self.connection)
        _quietly(super().finish)

    def handle(self):
        while not self.proxy.stopping.is_set():
            try:
                request = read_request(self.rfile)
            except (OSError, ValueError):
                return
            if request is None:
                return
            method, target = request.first_line.split(" ")[:2]
            path = urlsplit(target).path
            if path.startswith("/__proxy__/"):
                keep = self.control(method, path, target, request)
            else:
                keep = self.relay(method, path, request)
            if not keep or request.wants_close():
                return

    # ------------------------------------------------------------ relaying
    def relay(self, method, path, request):
        """Forward ``request`` unless a fault says otherwise; whether the connection lives on."""
        fault = self.proxy.pick(method, path)
        kind = fault.kind if fault else None
        entry = {"time": time.time(), "method": method, "path": path, "fault": kind, "status": None}
        try:
            if kind == "reset":
                self._reset()
                return False
            if kind == "error":
                self._send_page(fault.status, entry)
                return True
            entry["forwarded"] = True
            try:
                response = self._forward(request, method)
            except OSError as error:
                entry["error"] = str(error)
                self._send_page(502, entry)
                return False
            entry["status"] = int(response.first_line.split()[1])
            return self._answer(fault, response, entry)
        finally:
            self.proxy.record(entry)

    def _forward(self, request, method):
        with socket.create_connection(self.proxy.upstream, timeout=self.proxy.upstream_timeout) as upstream:
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream.sendall(request.raw)
            with upstream.makefile("rb") as stream:
                return read_response(stream, method)

    def _answer(self, fault, response, entry):
        kind = fault.kind if fault else None
        if kind == "drop_after":
            self._close()
            return False
        if kind in ("hold", "slow"):
            self.proxy.stopping.wait(fault.seconds)
        try:
            self.wfile.write(response.raw)
            self.wfile.flush()
        except OSError:
            return False  # the client gave up meanwhile (its timeout, under "hold")
        entry["answered"] = True
        return not response.close

    def _send_page(self, status, entry):
        body = ERROR_PAGE.format(status=status, reason=REASONS.get(status, "Error")).encode()
        head = (
            f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nServer: nginx\r\n"
            f"Content-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        entry["status"] = status
        _quietly(self.wfile.write, head + body)
        _quietly(self.wfile.flush)
        entry["answered"] = True

    def _close(self):
        """Close without answering: the client reads an end of stream."""
        _quietly(self.connection.shutdown, socket.SHUT_RDWR)

    def _reset(self):
        """Close with a TCP reset: SO_LINGER with a zero timeout discards what is unsent."""
        _quietly(self.connection.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        _quietly(self.connection.close)

    # ------------------------------------------------------------ control
    def control(self, method, path, target, request):
        proxy = self.proxy
        try:
            body = json.loads(request.body) if request.body else {}
        except ValueError:
            return self._send_json(400, {"message": "the body is not JSON"})
        try:
            if path == "/__proxy__/faults" and method == "POST":
                fault = proxy.inject(**body)
                return self._send_json(200, {"kind": fault.kind})
            if path == "/__proxy__/chaos" and method == "POST":
                proxy.chaos(**body)
                return self._send_json(200, True)
            if path == "/__proxy__/clear" and method == "POST":
                proxy.clear()
                return self._send_json(200, True)
            if path == "/__proxy__/state" and method == "GET":
                return self._send_json(200, proxy.state())
            if path == "/__proxy__/wait" and method == "GET":
                query = dict(parse_qsl(urlsplit(target).query))
                return self._send_json(200, self._wait(int(query.get("forwarded", 1)), float(query.get("timeout", 60))))
        except (TypeError, ValueError) as error:
            return self._send_json(400, {"message": str(error)})
        return self._send_json(404, {"message": f"no such control call: {method} {path}"})

    def _wait(self, count, timeout):
        """Whether ``count`` requests were forwarded within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.proxy.counts["forwarded"] < count:
            if time.monotonic() > deadline or self.proxy.stopping.wait(0.05):
                return False
        return True

    def _send_json(self, status, value):
        body = json.dumps(value).encode()
        head = f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        self.wfile.write(head.encode() + body)
        self.wfile.flush()
        return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", default="http://127.0.0.1:8280", help="the Magento behind it (this machine)")
    parser.add_argument("--port", type=int, default=0, help="its port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--upstream-timeout", type=float, default=600.0)
    args = parser.parse_args()
    proxy = FaultProxy(args.upstream, port=args.port, upstream_timeout=args.upstream_timeout).start()
    print(f"fault proxy listening on {proxy.url} -> {args.upstream}", flush=True)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_args: stop.set())
    stop.wait()
    proxy.stop()


if __name__ == "__main__":
    main()
