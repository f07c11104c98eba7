"""Independent pieces of a forward, run side by side on a thread per CPU.

NumPy releases the GIL in its array loops and matrix products, so the pieces of one large
product (rows of im2col patches, columns of a dense kernel) can run at once. The runtime
turns this on only while it holds BLAS to one thread: BLAS's own threads spin while they
wait for each other and crawl on a busy machine, where Python's threads just take turns.
"""

from __future__ import annotations

import contextlib
import os
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the run that uses it: a check without --verify never does
    from concurrent.futures import ThreadPoolExecutor

# A product smaller than this many multiply-adds (a fraction of a millisecond) is not worth a hand-off.
SPLIT_MACS = 8 * 1024 ** 2

# The pool of the run in this thread, and its size: runs in other threads keep their own.
_pool: ContextVar[tuple[ThreadPoolExecutor | None, int]] = ContextVar("pool", default=(None, 1))


@contextlib.contextmanager
def on_every_cpu():
    """Within: `each` spreads its items over a thread per CPU, and BLAS runs single-threaded."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    workers = os.cpu_count() or 1
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as executor:
        token = _pool.set((executor, workers))
        try:
            yield
        finally:
            _pool.reset(token)


def workers() -> int:
    """How many pieces run at once: split work into at least this many."""
    return _pool.get()[1]


def each(function, items) -> list:
    """function(item) for every item, side by side where `on_every_cpu` allows it."""
    executor = _pool.get()[0]
    if executor is None or len(items) < 2:
        return [function(item) for item in items]
    return list(executor.map(function, items))


def matmul(a, b, out):
    """a @ b into out (2-D, float32), the longer of a's rows and b's columns split among the workers."""
    rows, columns = a.shape[0], b.shape[1]
    count = min(workers(), max(rows, columns))
    if count < 2 or rows * a.shape[1] * columns < SPLIT_MACS:
        return _matmul(a, b, out)
    if rows >= columns:
        bounds = _bounds(rows, count)
        each(lambda span: _matmul(a[span[0]:span[1]], b, out[span[0]:span[1]]), bounds)
    else:
        bounds = _bounds(columns, count)
        each(lambda span: _matmul(a, b[:, span[0]:span[1]], out[:, span[0]:span[1]]), bounds)
    return out


def _matmul(a, b, out):
    import numpy as np

    return np.matmul(a, b, out=out)


def _bounds(length: int, count: int) -> list[tuple[int, int]]:
    step = -(-length // count)
    return [(start, min(start + step, length)) for start in range(0, length, step)]
