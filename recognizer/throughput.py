"""Render throughput: images/s of the dataset renderer with 1..N processes.

Measured by ``python -m benchmarks render``.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from recognizer.charset import Charset
from recognizer.dataset import FaceTable, Plan, _init_worker, render_shard
from recognizer.render import Augment


def measure(images: int, processes: int, table: FaceTable, charset: Charset) -> float:
    """Images per second rendering ``images`` examples with ``processes`` workers."""
    shard = 500
    plan = Plan(counts={"train": images}, shard_size=shard, size=32, seed=1)
    ctx = get_context("spawn")
    with ProcessPoolExecutor(
        processes,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(table, charset.chars, plan, Augment()),
    ) as pool:
        list(pool.map(render_shard, ["train"] * processes, range(processes)))  # warm up
        t = time.perf_counter()
        list(pool.map(render_shard, ["train"] * plan.shards("train"), range(plan.shards("train"))))
        return images / (time.perf_counter() - t)
