"""The HTTP transport under the client: one deadline for a whole exchange, and
an answer read in bounded pieces.

A socket timeout bounds each read, not the exchange: a server that sends a
byte every two seconds never trips a five-second timeout, and would hold the
caller (and the document's lock) for as long as it likes. Every socket this
transport opens therefore re-arms its timeout before each read and write with
the time left until the exchange's deadline, so connecting, sending and
reading Magento's answer (status line, headers and body) end by then, however
the server trickles its bytes (docs/magento-behaviour.md §9).
"""

import contextvars
import io
import socket
import time

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# The largest answer read, a module constant. Magento's biggest legitimate
# answers are list pages: on the real 2.4.6-p1, one order with one item is
# 5.4 kB of JSON, a page of 100 orders 1.2 MB, a page of 200 invoices 0.43 MB
# (docs §9). 64 MB leaves a margin of fifty times a full page of orders: far
# above any page the import or the look-ups ask, far below what would exhaust
# an Odoo worker (decoded JSON takes about eight times its size).
MAX_ANSWER_BYTES = 64 * 1024 * 1024
CHUNK = 64 * 1024

_EXCHANGE = contextvars.ContextVar("magento_exchange", default=None)


class Exchange:
    """One request's deadline, and whether any byte of its answer arrived.

    Used as a context manager around the request: the sockets read it."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.received = 0
        self._token = None

    def left(self):
        return self.deadline - time.monotonic()

    def expired(self):
        return self.left() <= 0

    def __enter__(self):
        self._token = _EXCHANGE.set(self)
        return self

    def __exit__(self, *exc):
        _EXCHANGE.reset(self._token)


class DeadlinePassed(TimeoutError):
    """The exchange's deadline passed (a ``socket.timeout``, as urllib3 expects)."""


class AnswerTooLarge(Exception):
    """The answer is, or announced itself, larger than the limit."""

    def __init__(self, limit, announced=None):
        super().__init__(limit)
        self.limit = limit
        self.announced = announced


class _DeadlineSocket:
    """A connected socket whose every read and write ends by the exchange's deadline."""

    def __init__(self, sock):
        self._sock = sock

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def _arm(self):
        exchange = _EXCHANGE.get()
        if exchange is None:
            return None
        left = exchange.left()
        if left <= 0:
            raise DeadlinePassed("the exchange's deadline passed")
        self._sock.settimeout(left)
        return exchange

    def recv_into(self, buffer, nbytes=0, flags=0):
        exchange = self._arm()
        count = self._sock.recv_into(buffer, nbytes, flags)
        if exchange is not None:
            exchange.received += count
        return count

    def recv(self, bufsize, flags=0):
        exchange = self._arm()
        data = self._sock.recv(bufsize, flags)
        if exchange is not None:
            exchange.received += len(data)
        return data

    def send(self, data, flags=0):
        self._arm()
        return self._sock.send(data, flags)

    def sendall(self, data, flags=0):
        # Since Python 3.5 a socket's timeout bounds the whole sendall.
        self._arm()
        return self._sock.sendall(data, flags)

    def makefile(self, mode="r", buffering=None, **kwargs):
        """http.client reads the answer through this file: its reads come back
        through ``recv_into`` above."""
        if mode != "rb":
            return self._sock.makefile(mode, buffering, **kwargs)
        # As socket.makefile does: the socket stays open while the file is
        # (http.client closes the connection before reading an answer that
        # ends with the connection).
        self._sock._io_refs += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"), buffering or io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self):
        # SocketIO.close() calls this, as it would on the real socket.
        self._sock._decref_socketios()


class _DeadlineHTTPConnection(HTTPConnection):
    def connect(self):
        result = super().connect()
        self.sock = _DeadlineSocket(self.sock)
        return result


class _DeadlineHTTPSConnection(HTTPSConnection):
    def connect(self):
        result = super().connect()
        self.sock = _DeadlineSocket(self.sock)
        return result


class _DeadlinePool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineTLSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_POOLS = {"http": _DeadlinePool, "https": _DeadlineTLSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections whose sockets keep the exchange's deadline."""

    def init_poolmanager(self, *args, **kwargs):
        result = super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)
        return result

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


def read_answer(response, limit=MAX_ANSWER_BYTES):
    """The body of a streamed ``response``, read piece by piece and given up
    as soon as it passes ``limit`` bytes (never read whole first)."""
    announced = response.headers.get("Content-Length", "")
    if announced.strip().isdigit() and int(announced) > limit:
        raise AnswerTooLarge(limit, int(announced))
    data = bytearray()
    for chunk in response.iter_content(CHUNK):
        data += chunk
        if len(data) > limit:
            raise AnswerTooLarge(limit)
    return data
