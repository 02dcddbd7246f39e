"""Test configuration: every test starts from the same seeds and the default dtype."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


@pytest.fixture(autouse=True)
def _seed_and_defaults():
    cr.manual_seed(0)
    np.random.seed(0)
    cr.set_default_dtype(cr.float32)
    yield
    cr.set_default_dtype(cr.float32)
