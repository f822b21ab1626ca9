"""The garbage collector of a serving process, set for a server rather than a script.

With CPython's defaults a young collection runs every 700 new objects. An appeal fanned out to
thousands of WebSocket helpers makes tens of thousands of objects that live a few
milliseconds; collections caught them mid-flight and promoted them, and then the oldest
generation, which holds every connection's state, was scanned whole: 0.5 to 1.1 s a scan at
5,000 helpers, 14 s of a 30 s run (docs/benchmarks.md, live appeal fan-out).
"""

from __future__ import annotations

import gc

# New objects between young collections: a whole fan-out's worth dies before one runs.
YOUNG_GENERATION_THRESHOLD = 100_000


def tune_for_serving() -> None:
    # What start-up built (modules, the schema, the engines) lives as long as the process:
    # leave it out of every later scan.
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
