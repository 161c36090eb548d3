"""A database that goes away for one test only: a TCP proxy in front of the suite's PostgreSQL.

An app pointed at the proxy reaches the suite's database while the proxy is up. ``cut`` drops
every connection through it and refuses new ones (closed as soon as they are accepted, as a
server that is restarting does); ``restore`` lets them through again. Other tests, and the
suite's own connections, go straight to the server and never notice.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from sqlalchemy.engine import make_url


class CuttableProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.closed = False
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    @classmethod
    def before(cls, database_url: str) -> tuple[CuttableProxy, str]:
        """A proxy to the server of ``database_url``, and the same URL through the proxy."""
        url = make_url(database_url)
        proxy = cls(url.host or "127.0.0.1", url.port or 5432)
        return proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)

    def cut(self) -> None:
        with self._lock:
            self.open = False
            everything, self._sockets = self._sockets, set()
        for sock in everything:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self.open = True

    def close(self) -> None:
        self.closed = True
        self.cut()
        _close(self.listener)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            with self._lock:
                allowed = self.open
            if not allowed:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
