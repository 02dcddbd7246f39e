"""Test configuration: every test starts from the same seeds and the default dtype; one BLAS/torch thread each; the
longest training checks start first.

NOTE: the suite runs as ``pytest -n 2`` on 2 cores, so each worker gets one core: two BLAS threads (and two torch
threads) per worker would oversubscribe the machine, and the spinning threads make small GEMMs many times slower.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

import chainrule as cr

threadpool_limits(limits=1)
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_and_defaults():
    cr.manual_seed(0)
    np.random.seed(0)
    cr.set_default_dtype(cr.float32)
    yield
    cr.set_default_dtype(cr.float32)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests marked ``slow(cpu_seconds=...)`` first, the longest first; the rest keep their order.

    NOTE: with ``-n 2`` a five-minute test that starts late is the whole tail of the run: measured, the ResNet proof
    (~310 s) in collection order ended the suite at 12:59, the other worker idle for its last minutes."""
    def cost(item: pytest.Item) -> float:
        mark = item.get_closest_marker("slow")
        return float(mark.kwargs.get("cpu_seconds", 0)) if mark is not None else 0.0

    items.sort(key=lambda item: -cost(item))  # stable: equal costs keep the collection order
