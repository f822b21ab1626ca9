"""Several serving processes on one port, each listening on a socket of its own.

uvicorn's workers share one listening socket, and whichever is awake first accepts each new
connection: a burst of keep-alive connections (a proxy's pool, a benchmark's 16 clients)
went all to one worker in about half of the benchmark's runs, and that worker then served
alone while the other idled. With SO_REUSEPORT each worker listens on a socket of its own,
and the kernel spreads new connections over them by their addresses.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import socket
import threading
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from indigo.serving import UVICORN_OPTIONS

logger = logging.getLogger("uvicorn.error")
CHECK_SECONDS = 0.5
_SPAWN = multiprocessing.get_context("spawn")


def port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port that other processes may bind as well."""
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def serve_workers(app_factory: str, host: str, port: int, count: int, **options: Any) -> None:
    """`count` processes serving `app_factory`, each replaced if it dies, until SIGINT or
    SIGTERM; all stop if one fails to start, as a retry would fail the same way."""
    # Bound but never listening: the port is taken at once (or this fails here, with a
    # clear error), and no connection waits on a socket that nobody accepts from.
    reserved = port_socket(host, port)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    workers = [_start(app_factory, host, port, options) for _ in range(count)]
    try:
        while not stop.wait(CHECK_SECONDS):
            for index, worker in enumerate(workers):
                if worker.is_alive():
                    continue
                if worker.exitcode == STARTUP_FAILURE:
                    logger.error("Worker [%s] failed to start: stopping.", worker.pid)
                    return
                logger.warning("Worker [%s] ended (exit code %s).", worker.pid, worker.exitcode)
                workers[index] = _start(app_factory, host, port, options)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        for worker in workers:
            worker.join()
        reserved.close()


def _start(app_factory: str, host: str, port: int, options: dict[str, Any]) -> BaseProcess:
    worker = _SPAWN.Process(target=_serve, args=(app_factory, host, port, options))
    worker.start()
    return worker


def _serve(app_factory: str, host: str, port: int, options: dict[str, Any]) -> None:
    """One worker: the app on a listening socket of its own."""
    config = uvicorn.Config(
        app_factory, factory=True, host=host, port=port, **UVICORN_OPTIONS, **options
    )
    # Ctrl-C reaches every process of the terminal: the server stops gracefully, then
    # re-raises it, and the parent stops whatever is left.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[port_socket(host, port)])
