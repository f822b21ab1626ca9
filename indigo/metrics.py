"""`GET /metrics` in Prometheus's text format, summed over every worker of `indigo serve`.

The metrics, each counted where its event happens:

- `indigo_graphql_requests_total{operation,outcome}` and the histogram
  `indigo_graphql_request_seconds{operation}`: every GraphQL request over HTTP
  (`indigo/logs.py`), its outcome `ok` or the code of its first error;
- `indigo_open_sockets`, `indigo_open_subscriptions`, `indigo_events_delivered_total`:
  the WebSockets (`indigo/websocket.py`);
- `indigo_slow_subscribers_dropped_total` (`realtime/fanout.py`);
- `indigo_rate_limit_refusals_total{limit}` (`resolvers/rate_limits.py`);
- `indigo_mails_sent_total`, `indigo_mail_failures_total` and `indigo_mail_outbox_depth`
  (mails waiting, as the sender's last pass left them): the mail outbox (`resolvers/outbox.py`).

With several workers, each writes its values to files in a directory shared by all
(prometheus-client's multiprocess mode: `PROMETHEUS_MULTIPROC_DIR`, which `indigo serve`
sets before it starts them), and whichever worker answers `/metrics` sums them all.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

SHARED_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"

GRAPHQL_REQUESTS = Counter(
    "indigo_graphql_requests",
    "GraphQL requests over HTTP, by operation name and outcome (ok, or the first error code)",
    ["operation", "outcome"],
)
GRAPHQL_SECONDS = Histogram(
    "indigo_graphql_request_seconds",
    "Time to answer a GraphQL request over HTTP, by operation name",
    ["operation"],
)
# "livesum": the sockets of the workers alive now; a worker that died held none.
OPEN_SOCKETS = Gauge(
    "indigo_open_sockets", "WebSockets open at /graphql", multiprocess_mode="livesum"
)
OPEN_SUBSCRIPTIONS = Gauge(
    "indigo_open_subscriptions",
    "Operations running on WebSockets (subscriptions, mostly)",
    multiprocess_mode="livesum",
)
EVENTS_DELIVERED = Counter(
    "indigo_events_delivered", "Subscription events sent to clients (`next` messages)"
)

# Operation names come from clients: past this many distinct ones in a process, the rest
# are counted together, so that no client can grow the metrics without end.
MAX_OPERATION_NAMES = 200
OTHER_OPERATIONS = "other"
ANONYMOUS = "anonymous"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_names_seen: set[str] = set()


def operation_label(name: str | None) -> str:
    """The `operation` label of an operation name, from a bounded set."""
    if name is None:
        return ANONYMOUS
    if not _NAME.fullmatch(name):
        return OTHER_OPERATIONS
    if name not in _names_seen:
        if len(_names_seen) >= MAX_OPERATION_NAMES:
            return OTHER_OPERATIONS
        _names_seen.add(name)
    return name


def observe_graphql_request(operation: str | None, outcome: str, seconds: float) -> None:
    label = operation_label(operation)
    GRAPHQL_REQUESTS.labels(label, outcome).inc()
    GRAPHQL_SECONDS.labels(label).observe(seconds)


async def metrics(request: Request) -> Response:
    """Every metric of every worker, in Prometheus's text format."""
    if os.environ.get(SHARED_DIRECTORY):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@contextmanager
def shared_across_workers() -> Iterator[None]:
    """For the block, workers started from this process write their metrics to a directory
    of their own (a fresh one, unless the environment names it), so /metrics sums them."""
    if os.environ.get(SHARED_DIRECTORY):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="indigo-metrics-") as directory:
        os.environ[SHARED_DIRECTORY] = directory
        try:
            yield
        finally:
            del os.environ[SHARED_DIRECTORY]


def forget_worker(pid: int | None) -> None:
    """A worker has ended: its sockets and subscriptions are no longer open."""
    if pid is not None and os.environ.get(SHARED_DIRECTORY):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
