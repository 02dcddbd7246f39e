"""Pooling functions, as ``torch.nn.functional``: max, average, adaptive and stochastic pooling in 1-D and 2-D.

Every function checks its arguments here (PyTorch's rules and error types, with the op and the shapes in the
message), then calls one fused primitive of :mod:`chainrule.ops.pooling` on an ``(N, C, H, W)`` array: 1-D inputs
are pooled as ``H = 1`` images, unbatched inputs get a batch dimension of 1 and lose it again.
"""

from __future__ import annotations

from typing import Any, Sequence

from ...ops import pooling as P
from ...random import Generator, np_generator
from ...tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "stochastic_pool2d"]

IntOr = int | Sequence[int]


def _tuple(name: str, v: Any, n: int, what: str) -> tuple[int, ...]:
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            v = v[0]
        elif len(v) != n:
            raise RuntimeError(f"{name}: {what} must either be a single int, or a tuple of {n} ints, got {tuple(v)}")
        else:
            return tuple(int(a) for a in v)
    return (int(v),) * n


def _to_4d(name: str, x: Tensor, nd: int) -> tuple[Tensor, bool]:
    """``x`` as ``(N, C, H, W)`` (1-D: ``H = 1``) and whether it had no batch dimension."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    shape = tuple(x.shape)
    spatial = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    unbatched = "(C, L)" if nd == 1 else "(C, H, W)"
    if x.dim() not in (nd + 1, nd + 2) or 0 in shape[-nd - 1:]:
        raise RuntimeError(f"{name}: expected a non-empty {nd + 1}D {unbatched} or {nd + 2}D {spatial} input, "
                           f"got shape {shape}")
    x._require_float(name)
    if x.dim() == nd + 1:
        x = x.unsqueeze(0)
    if nd == 1:
        x = x.unsqueeze(2)
    return x, len(shape) == nd + 1


def _from_4d(y: Tensor, nd: int, unbatched: bool) -> Tensor:
    if nd == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length; in ceil mode the last window must start inside the input or left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _geometry(name: str, shape: tuple[int, ...], nd: int, kernel_size: IntOr, stride: IntOr | None, padding: IntOr,
              dilation: IntOr, ceil_mode: bool, half: str) -> tuple[tuple[int, int], ...]:
    """Validate and return (kernel, stride, padding, dilation, out) as 2-D pairs for an ``(N, C, H, W)`` shape."""
    k = _tuple(name, kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _tuple(name, stride, nd, "stride")
    p, d = _tuple(name, padding, nd, "padding"), _tuple(name, dilation, nd, "dilation")
    if min(k) <= 0:
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got {k}")
    if min(s) <= 0:
        raise RuntimeError(f"{name}: stride must be greater than zero, but got {s}")
    if min(d) <= 0:
        raise RuntimeError(f"{name}: dilation must be greater than zero, but got {d}")
    if min(p) < 0:
        raise RuntimeError(f"{name}: padding must be non-negative, but got {p}")
    for ki, pi, di in zip(k, p, d):
        eff = (ki - 1) * di + 1 if half.startswith("effective") else ki
        if pi > eff // 2:
            raise RuntimeError(f"{name}: pad should be at most half of {half}, but got padding={p}, "
                               f"kernel_size={k}" + (f" and dilation={d}" if half.startswith("effective") else ""))
    sizes = shape[-nd:]
    out = tuple(_out_size(n, ki, si, pi, di, ceil_mode) for n, ki, si, pi, di in zip(sizes, k, s, p, d))
    if min(out) < 1:
        raise RuntimeError(f"{name}: given input of shape {shape}, the calculated output size {out} is too small "
                           f"(kernel_size={k}, stride={s}, padding={p}, dilation={d})")
    if nd == 1:  # pool 1-D as an H = 1 image
        return (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0]), (1, out[0])
    return k, s, p, d, out  # type: ignore[return-value]


def _max_pool(name: str, nd: int, input: Tensor, kernel_size: IntOr, stride: IntOr | None,  # noqa: A002
              padding: IntOr, dilation: IntOr, ceil_mode: bool, return_indices: bool) -> Any:
    x, unbatched = _to_4d(name, input, nd)
    k, s, p, d, out = _geometry(name, tuple(input.shape), nd, kernel_size, stride, padding, dilation, ceil_mode,
                                "effective kernel size")
    sink: list[Any] = []
    y = _from_4d(P.MaxPool2d.apply(x, k, s, p, d, out, sink=sink if return_indices else None), nd, unbatched)
    if not return_indices:
        return y
    return y, _from_4d(Tensor._make(sink[0], None, False), nd, unbatched)


def max_pool1d(input: Tensor, kernel_size: IntOr, stride: IntOr | None = None, padding: IntOr = 0,  # noqa: A002
               dilation: IntOr = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    r"""1-D max pooling: :math:`y[n, c, l] = \max_{k} x[n, c, s l - p + d k]` over the ``-inf``-padded input.

    Args and Shape as :func:`max_pool2d`, with one spatial dimension: input :math:`(N, C, L)` or :math:`(C, L)`.
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size: IntOr, stride: IntOr | None = None, padding: IntOr = 0,  # noqa: A002
               dilation: IntOr = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    r"""2-D max pooling over windows of the ``-inf``-padded input:

    .. math:: y[n, c, i, j] = \max_{a, b} x[n, c, s_h i - p_h + d_h a, s_w j - p_w + d_w b]

    The gradient goes to the arg-max of each window (the first maximum in row-major order on ties); overlapping
    windows accumulate.

    Args:
        input: :math:`(N, C, H, W)` or :math:`(C, H, W)`.
        kernel_size: window size (int or pair).
        stride: window step; ``kernel_size`` when None.
        padding: implicit ``-inf`` on both sides, at most half the effective kernel size.
        dilation: spacing between window elements.
        ceil_mode: round the output size up (a last, partial window), not down.
        return_indices: also return the flat ``h * W + w`` index of each maximum (int64).

    Shape: output :math:`(N, C, H_{out}, W_{out})`,
    :math:`H_{out} = \lfloor (H + 2 p_h - d_h (k_h - 1) - 1) / s_h \rfloor + 1` (ceil in ``ceil_mode``).

    Example::

        >>> F.max_pool2d(chainrule.randn(1, 3, 8, 8), 2).shape
        chainrule.Size([1, 3, 4, 4])
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_pool(name: str, nd: int, input: Tensor, kernel_size: IntOr, stride: IntOr | None,  # noqa: A002
              padding: IntOr, ceil_mode: bool, count_include_pad: bool, divisor_override: int | None) -> Tensor:
    x, unbatched = _to_4d(name, input, nd)
    k, s, p, _, out = _geometry(name, tuple(input.shape), nd, kernel_size, stride, padding, 1, ceil_mode, "kernel size")
    if divisor_override is not None and int(divisor_override) == 0:
        raise RuntimeError(f"{name}: divisor must be not zero, got divisor_override={divisor_override}")
    y = P.AvgPool2d.apply(x, k, s, p, out, count_include_pad=bool(count_include_pad),
                          divisor_override=None if divisor_override is None else int(divisor_override))
    return _from_4d(y, nd, unbatched)


def avg_pool1d(input: Tensor, kernel_size: IntOr, stride: IntOr | None = None, padding: IntOr = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    r"""1-D average pooling: :math:`y[n, c, l] = \frac{1}{k} \sum_{m} x[n, c, s l - p + m]` over the zero-padded
    input. Args and Shape as :func:`avg_pool2d`, with one spatial dimension."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size: IntOr, stride: IntOr | None = None, padding: IntOr = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    r"""2-D average pooling over windows of the zero-padded input:

    .. math:: y[n, c, i, j] = \frac{1}{D_{ij}} \sum_{a, b} x[n, c, s_h i - p_h + a, s_w j - p_w + b]

    Args:
        input: :math:`(N, C, H, W)` or :math:`(C, H, W)`.
        kernel_size, stride, padding, ceil_mode: as :func:`max_pool2d` (padding at most half the kernel size).
        count_include_pad: :math:`D_{ij}` counts the zero padding (True) or only the input elements of the window.
        divisor_override: a fixed :math:`D` instead.

    Shape: output :math:`(N, C, H_{out}, W_{out})`, :math:`H_{out} = \lfloor (H + 2 p_h - k_h) / s_h \rfloor + 1`.
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _adaptive_out(name: str, x: Tensor, output_size: Any, nd: int) -> tuple[int, int]:
    o = output_size if isinstance(output_size, (list, tuple)) else (output_size,) * nd
    if len(o) != nd:
        raise RuntimeError(f"{name}: output_size must be an int or {nd} ints, got {output_size}")
    sizes = tuple(x.shape[-nd:])
    out = tuple(sizes[i] if o[i] is None else int(o[i]) for i in range(nd))
    if min(out) < 0 or (min(out) == 0 and x.numel() > 0):
        raise RuntimeError(f"{name}: output_size must be positive, got {out} for input of shape {tuple(x.shape)}")
    return (1, out[0]) if nd == 1 else out  # type: ignore[return-value]


def _adaptive(name: str, nd: int, input: Tensor, output_size: Any, kind: str,  # noqa: A002
              return_indices: bool = False) -> Any:
    x, unbatched = _to_4d(name, input, nd)
    out = _adaptive_out(name, input, output_size, nd)
    if kind == "avg":
        return _from_4d(P.AdaptiveAvgPool2d.apply(x, out), nd, unbatched)
    sink: list[Any] = []
    y = _from_4d(P.AdaptiveMaxPool2d.apply(x, out, sink=sink if return_indices else None), nd, unbatched)
    if not return_indices:
        return y
    return y, _from_4d(Tensor._make(sink[0], None, False), nd, unbatched)


def adaptive_avg_pool1d(input: Tensor, output_size: IntOr) -> Tensor:  # noqa: A002
    r"""1-D adaptive average pooling to length ``output_size``: output :math:`i` averages the input over
    :math:`[\lfloor i L / L_{out} \rfloor, \lceil (i + 1) L / L_{out} \rceil)`. Input :math:`(N, C, L)` or
    :math:`(C, L)`."""
    return _adaptive("adaptive_avg_pool1d", 1, input, output_size, "avg")


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    r"""2-D adaptive average pooling: the bins of :func:`adaptive_avg_pool1d` along H and W, so that the output is
    ``output_size`` (an int, a pair, or a pair with None to keep that input size) whatever the input size.
    ``output_size=1`` is global average pooling.

    Shape: input :math:`(N, C, H, W)` or :math:`(C, H, W)`; output :math:`(N, C, H_{out}, W_{out})`.
    """
    return _adaptive("adaptive_avg_pool2d", 2, input, output_size, "avg")


def adaptive_max_pool1d(input: Tensor, output_size: IntOr, return_indices: bool = False) -> Any:  # noqa: A002
    """1-D adaptive max pooling: the maximum over the bins of :func:`adaptive_avg_pool1d`."""
    return _adaptive("adaptive_max_pool1d", 1, input, output_size, "max", return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    r"""2-D adaptive max pooling: the maximum over the bins of :func:`adaptive_avg_pool2d`; the gradient goes to
    the (first) arg-max of each bin. ``return_indices`` also returns the flat ``h * W + w`` arg-max indices."""
    return _adaptive("adaptive_max_pool2d", 2, input, output_size, "max", return_indices)


def stochastic_pool2d(input: Tensor, kernel_size: IntOr, stride: IntOr | None = None,  # noqa: A002
                      training: bool = True, generator: Generator | None = None) -> Tensor:
    r"""Stochastic pooling (Zeiler & Fergus, 2013) over windows of :math:`a = \max(x, 0)` (no padding).

    In training each window outputs one of its elements, drawn with probability

    .. math:: p_i = a_i / \textstyle\sum_j a_j

    (0 for an all-zero window) and the gradient flows to the drawn element; in evaluation it outputs the
    expectation :math:`\sum_i p_i a_i`. The draws come from ``generator`` (the default one, seeded by
    ``chainrule.manual_seed``, when None). Not in PyTorch.

    Args:
        input: :math:`(N, C, H, W)` or :math:`(C, H, W)`.
        kernel_size: window size (int or pair).
        stride: window step; ``kernel_size`` when None.
        training: sample (True) or take the expectation (False).
        generator: the random stream of the draws.

    Shape: output :math:`(N, C, \lfloor (H - k_h) / s_h \rfloor + 1, \lfloor (W - k_w) / s_w \rfloor + 1)`.
    """
    name = "stochastic_pool2d"
    x, unbatched = _to_4d(name, input, 2)
    k, s, _, _, out = _geometry(name, tuple(input.shape), 2, kernel_size, stride, 0, 1, False, "kernel size")
    y = P.StochasticPool2d.apply(x, k, s, out, training=bool(training), rng=np_generator(generator))
    return _from_4d(y, 2, unbatched)
