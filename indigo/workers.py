"""Several serving processes on one port, each listening on a socket of its own.

uvicorn's workers share one listening socket, and whichever is awake first accepts each new
connection: a burst of keep-alive connections (a proxy's pool, a benchmark's 16 clients)
went all to one worker in about half of the benchmark's runs, and that worker then served
alone while the other idled. With SO_REUSEPORT each worker listens on a socket of its own,
and the kernel spreads new connections over them by their addresses.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from indigo.metrics import forget_worker

logger = logging.getLogger("uvicorn.error")
CHECK_SECONDS = 0.5
_SPAWN = multiprocessing.get_context("spawn")
_PR_SET_PDEATHSIG = 1


def serve_workers(config: uvicorn.Config, count: int) -> int:
    """`count` processes serving `config`'s app on its host and port, each replaced if it
    dies, until SIGINT or SIGTERM; all stop if one fails to start, as a retry would fail
    the same way. Returns the exit status: 0, or uvicorn's STARTUP_FAILURE."""
    reserved = _bound(config, _reserve)
    if reserved is None:
        return STARTUP_FAILURE
    stopping: list[int] = []
    for number in (signal.SIGINT, signal.SIGTERM):
        # Only an append: a handler that took a lock could find the main thread holding it.
        signal.signal(number, lambda received, _frame: stopping.append(received))
    workers: list[BaseProcess] = []
    try:
        workers.extend(_start(config) for _ in range(count))
        while not stopping:
            time.sleep(CHECK_SECONDS)
            for index, worker in enumerate(workers):
                if worker.is_alive() or stopping:
                    continue
                if worker.exitcode == STARTUP_FAILURE:
                    logger.error("Worker [%s] failed to start: stopping.", worker.pid)
                    return STARTUP_FAILURE
                logger.warning("Worker [%s] ended (exit code %s).", worker.pid, worker.exitcode)
                forget_worker(worker.pid)
                workers[index] = _start(config)
        return 0
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        for worker in workers:
            worker.join()
        reserved.close()


def _reserve(host: str, port: int) -> socket.socket:
    """Take the port for this server, or fail here with a clear error.

    Bound without SO_REUSEPORT first, so that another server already on the port (this
    one started twice, say) is refused rather than joined; then bound with it, and kept
    bound but never listening, so that no connection waits on a socket nobody accepts from.
    """
    with _socket(host) as probe:
        probe.bind((host, port))
    return _shared(host, port)


def _shared(host: str, port: int) -> socket.socket:
    """A socket bound to the port beside the others of this server (SO_REUSEPORT)."""
    sock = _socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _socket(host: str) -> socket.socket:
    # The same choice of family as uvicorn's own.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def _bound(
    config: uvicorn.Config, bind: Callable[[str, int], socket.socket]
) -> socket.socket | None:
    """`bind` on the config's host and port; None, said in the log, if it cannot."""
    try:
        return bind(config.host, config.port)
    except OSError as error:
        logger.error("Cannot listen on %s:%s: %s", config.host, config.port, error)
        return None


def _start(config: uvicorn.Config) -> BaseProcess:
    worker = _SPAWN.Process(target=_serve, args=(config, os.getpid()))
    worker.start()
    return worker


def _serve(config: uvicorn.Config, parent: int) -> None:
    """One worker: the app on a listening socket of its own, until its parent ends."""
    # Ends with the parent, however the parent ends (a SIGKILL, the OOM killer).
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        return  # the parent ended before the line above
    config.configure_logging()
    sock = _bound(config, _shared)
    if sock is None:
        sys.exit(STARTUP_FAILURE)
    # Ctrl-C reaches every process of the terminal: the server stops gracefully, then
    # re-raises it, and the parent stops whatever is left.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])
