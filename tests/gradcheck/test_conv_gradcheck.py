"""Finite-difference checks (float64) of the convolution primitives through their functional wrappers: conv1d/conv2d
with stride, padding (incl. asymmetric 'same'), dilation and groups; the transposed convolutions with output_padding,
groups and dilation; the reflect/replicate/circular padding of the conv layers; channel_shuffle; and the factorised
convolution modules end to end."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import chainrule as cr
from chainrule.nn.functional.conv import conv_pad

F = cr.nn.functional


def _t(*shape: int) -> cr.Tensor:
    return cr.randn(*shape, dtype=cr.float64, requires_grad=True)


CASES: dict[str, tuple[Callable[..., Any], tuple[int, ...], tuple[int, ...], int, dict[str, Any]]] = {
    # name: (op, input shape, weight shape, bias size (0: none), kwargs)
    "conv2d_stride_padding": (F.conv2d, (2, 2, 5, 4), (3, 2, 2, 3), 3, dict(stride=(2, 1), padding=(1, 2))),
    "conv2d_dilation_groups": (F.conv2d, (1, 4, 5, 5), (2, 2, 2, 2), 2, dict(dilation=2, groups=2, padding=1)),
    "conv2d_depthwise_same": (F.conv2d, (1, 2, 4, 5), (2, 1, 2, 3), 0, dict(groups=2, padding="same")),
    "conv2d_unbatched": (F.conv2d, (2, 4, 4), (2, 2, 3, 3), 2, dict(stride=3, padding=1)),
    "conv1d": (F.conv1d, (2, 2, 7), (3, 2, 3), 3, dict(stride=2, padding=1, dilation=2)),
    "conv_transpose2d": (F.conv_transpose2d, (1, 4, 3, 2), (4, 1, 2, 3), 2,
                         dict(stride=(2, 1), padding=(0, 1), output_padding=(1, 0), groups=2, dilation=(1, 2))),
    "conv_transpose2d_dilation_gt_stride": (F.conv_transpose2d, (1, 2, 2, 3), (2, 2, 2, 2), 0,
                                            dict(dilation=2, output_padding=1)),
    "conv_transpose1d": (F.conv_transpose1d, (2, 2, 4), (2, 3, 3), 3, dict(stride=3, padding=1, output_padding=2)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_conv_gradcheck(case: str) -> None:
    op, x_shape, w_shape, n_bias, kwargs = CASES[case]
    args = (_t(*x_shape), _t(*w_shape)) + ((_t(n_bias),) if n_bias else ())
    assert cr.autograd.gradcheck(lambda *a: op(*a, **kwargs), args)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_gradcheck(mode: str) -> None:
    x = _t(1, 2, 3, 4)
    assert cr.autograd.gradcheck(lambda a: conv_pad(a, (2, 1, 1, 2), mode), (x,))
    m = cr.nn.Conv1d(2, 2, 3, padding=2, padding_mode=mode, dtype=cr.float64)
    assert cr.autograd.gradcheck(lambda a, w, b: F.conv1d(conv_pad(a, (2, 2), mode), w, b),
                                 (_t(1, 2, 3), m.weight, m.bias))


def test_channel_shuffle_gradcheck() -> None:
    assert cr.autograd.gradcheck(lambda a: F.channel_shuffle(a, 3), (_t(2, 6, 2),))


@pytest.mark.parametrize("make", [
    lambda: cr.nn.DepthwiseSeparableConv2d(2, 3, 3, padding=1, dtype=cr.float64),
    lambda: cr.nn.SpatiallySeparableConv2d(2, 2, 3, stride=2, padding=1, dtype=cr.float64),
    lambda: cr.nn.FlattenedConv2d(2, 2, 2, dilation=2, dtype=cr.float64),
], ids=["depthwise_separable", "spatially_separable", "flattened"])
def test_factorised_modules_gradcheck(make: Callable[[], cr.nn.Module]) -> None:
    m = make()
    params = list(m.parameters())

    def f(x: cr.Tensor, *ps: cr.Tensor) -> cr.Tensor:
        return m(x)  # the parameters are the module's own leaves, passed so that gradcheck perturbs them

    assert cr.autograd.gradcheck(f, (_t(1, 2, 5, 5), *params))
