"""Holding Python's cyclic garbage collector off while a seed runs.

A seed of a 2,000-file course keeps tens of thousands of small objects alive at once (the
content index, the plan, the record, a stat per file). Each that survives two young
collections counts towards a full one, and a full collection walks every object of the
process: measured in a fresh process, one took 80 ms of a 200 ms first seed, and in a
server with a million objects it would take longer than the seed. Nothing a seed makes
needs the collector (the objects are freed by reference counting when it returns), so it is
paused for the seed and resumed after: the server's cycles wait that long (a second or so
for content in the image; longer while a git source is fetched or a first-run step runs).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic collection off inside, back to what it was once every holder has left
    (seeds of two modules may overlap in the server's threads)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
