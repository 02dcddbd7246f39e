"""Test configuration: every test starts from the same seeds and the default dtype; one BLAS/torch thread each.

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
