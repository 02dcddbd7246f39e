"""Differentiable primitives: each a :class:`~chainrule.autograd.Primitive` with forward and backward on raw arrays.

Everything else is composed from these on ``Tensor``. Each primitive has a row in ``tests/op_table.py``.
"""
