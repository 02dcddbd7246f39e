"""Weight initialisers, as ``torch.nn.init``: each fills a tensor in place (outside the graph) and returns it.

The fan and gain rules are PyTorch's, so a model initialised here has the same weight distributions as its PyTorch
twin (the streams differ: chainrule draws from NumPy's PCG64). Values are drawn from the default generator, or from
``generator=`` when given, and written into the tensor's own storage in its own dtype.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from ..random import Generator, np_generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "lecun_uniform_", "lecun_normal_",
    "orthogonal_", "sparse_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


# ----------------------------------------------------------------- drawing and writing
def _np_dtype(tensor: Tensor) -> np.dtype:
    dt = tensor._data.dtype
    # NOTE: NumPy draws float32 and float64 natively; anything else is drawn in float64 and cast on write
    return dt if dt in (np.float32, np.float64) else np.dtype(np.float64)


def _write(tensor: Tensor, values: Any) -> Tensor:
    """Copy ``values`` into the tensor's storage, in place and in its dtype (no graph is recorded)."""
    np.copyto(tensor._data, values, casting="unsafe")
    return tensor


def _uniform(tensor: Tensor, a: float, b: float, generator: Generator | None) -> np.ndarray:
    rng = np_generator(generator)
    u = rng.random(tensor._data.shape, dtype=_np_dtype(tensor))
    u *= b - a
    u += a
    return u


def _normal(tensor: Tensor, mean: float, std: float, generator: Generator | None) -> np.ndarray:
    z = np_generator(generator).standard_normal(tensor._data.shape, dtype=_np_dtype(tensor))
    z *= std
    z += mean
    return z


# ----------------------------------------------------------------- gain and fan
def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The recommended gain for a nonlinearity: the factor by which to scale a unit-variance initialisation so that
    activations keep their variance through the layer.

    ================= =====================================================
    nonlinearity      gain
    ================= =====================================================
    linear / conv*    :math:`1`
    sigmoid           :math:`1`
    tanh              :math:`5/3`
    relu              :math:`\sqrt{2}`
    leaky_relu        :math:`\sqrt{2 / (1 + \text{negative\_slope}^2)}` (slope ``param``, default 0.01)
    selu              :math:`3/4`
    ================= =====================================================

    Args:
        nonlinearity: the function's name in ``nn.functional``.
        param: the negative slope, for ``'leaky_relu'``.

    Example::

        >>> nn.init.calculate_gain('leaky_relu', 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically (PyTorch PR 50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``: ``in * prod(kernel)`` and
    ``out * prod(kernel)``."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# ----------------------------------------------------------------- plain distributions and constants
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` with values from :math:`\mathcal{U}(a, b)`.

    Example::

        >>> nn.init.uniform_(chainrule.empty(3, 5), -0.1, 0.1)
    """
    return _write(tensor, _uniform(tensor, a, b, generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` with values from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Example::

        >>> nn.init.normal_(chainrule.empty(3, 5), std=0.02)
    """
    return _write(tensor, _normal(tensor, mean, std, generator))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` with values from :math:`\mathcal{N}(\text{mean}, \text{std}^2)` truncated to :math:`[a, b]`:
    values outside are redrawn until they fall inside.

    As PyTorch: when the interval holds more than 30% of the mass, normal draws are rejected outside it; otherwise
    uniform draws on :math:`[a, b]` are accepted with probability :math:`\phi(x) / \max_{[a,b]} \phi`, which stays
    efficient far in a tail. ``a`` and ``b`` are absolute bounds, not multiples of ``std``.

    Example::

        >>> nn.init.trunc_normal_(chainrule.empty(3, 5), std=0.02)
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may "
                      "be incorrect.", stacklevel=2)
    rng = np_generator(generator)
    shape, dt = tensor._data.shape, _np_dtype(tensor)

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    p = cdf((b - mean) / std) - cdf((a - mean) / std)
    if p > 0.3:
        # NOTE: the bounds are compared in the tensor's dtype, so a value that rounds onto a bound is kept
        lo, hi = tensor._data.dtype.type(a), tensor._data.dtype.type(b)
        out = _normal(tensor, mean, std, generator)
        bad = np.flatnonzero((out < lo) | (out > hi))
        while bad.size:
            redraw = rng.standard_normal(bad.size, dtype=dt) * dt.type(std) + dt.type(mean)
            out.reshape(-1)[bad] = redraw
            bad = bad[(redraw < lo) | (redraw > hi)]
        return _write(tensor, out)
    # NOTE: an infinite bound cannot bound a uniform proposal; beyond 12 std from the finite one the density is
    # below 1e-31 of its peak there, so the interval is cut at that point
    lo_f = a if math.isfinite(a) else b - 12 * std
    hi_f = b if math.isfinite(b) else a + 12 * std
    mode = max(lo_f, min(mean, hi_f))
    log_peak = -0.5 * ((mode - mean) / std) ** 2
    out = np.empty(shape, dtype=np.float64).reshape(-1)
    pending = np.arange(out.size)
    while pending.size:
        cand = rng.uniform(lo_f, hi_f, pending.size)
        accept = np.log(rng.random(pending.size)) <= -0.5 * ((cand - mean) / std) ** 2 - log_peak
        out[pending[accept]] = cand[accept]
        pending = pending[~accept]
    return _write(tensor, out.reshape(shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val``."""
    tensor._data[...] = val
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones."""
    return constant_(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros."""
    return constant_(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D ``tensor`` with the identity matrix (ones on the main diagonal of a possibly non-square matrix), so
    that a ``Linear`` layer passes as many inputs through unchanged as it can."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor._data.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, so that the convolution passes as many input
    channels through unchanged as it can (per group with ``groups > 1``)."""
    nd = tensor.ndim
    if nd not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tensor._data.shape
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = shape[0] // groups
    w = np.zeros(shape)
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            w[(g * out_per_group + d, d) + centre] = 1
    return _write(tensor, w)


# ----------------------------------------------------------------- variance-scaling initialisers
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    r"""Glorot/Xavier uniform: :math:`\mathcal{U}(-a, a)` with
    :math:`a = \text{gain} \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`.

    Example::

        >>> nn.init.xavier_uniform_(chainrule.empty(3, 5), gain=nn.init.calculate_gain('relu'))
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # a uniform on [-bound, bound] has this std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    r"""Glorot/Xavier normal: :math:`\mathcal{N}(0, \text{std}^2)` with
    :math:`\text{std} = \text{gain} \sqrt{2 / (\text{fan\_in} + \text{fan\_out})}`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor._data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    r"""He/Kaiming uniform: :math:`\mathcal{U}(-\text{bound}, \text{bound})` with
    :math:`\text{bound} = \text{gain} \sqrt{3 / \text{fan\_mode}}`.

    Args:
        tensor: a weight of at least 2 dimensions, ``(out, in, *kernel)``.
        a: the negative slope of the rectifier after this layer (used with ``'leaky_relu'``).
        mode: ``'fan_in'`` keeps the variance of activations in the forward pass, ``'fan_out'`` that of gradients in
            the backward pass.
        nonlinearity: the function's name in ``nn.functional``, for :func:`calculate_gain`.
        generator: the generator to draw from (the default one when None).

    Example::

        >>> nn.init.kaiming_uniform_(chainrule.empty(3, 5), mode='fan_in', nonlinearity='relu')
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    r"""He/Kaiming normal: :math:`\mathcal{N}(0, \text{std}^2)` with :math:`\text{std} = \text{gain} /
    \sqrt{\text{fan\_mode}}`. Arguments as :func:`kaiming_uniform_`."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def lecun_normal_(tensor: Tensor, generator: Generator | None = None) -> Tensor:
    r"""LeCun normal: :math:`\mathcal{N}(0, 1 / \text{fan\_in})` (no PyTorch counterpart; the initialisation that
    self-normalising SELU networks need). Equals ``kaiming_normal_(tensor, nonlinearity='linear')``."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, 1.0 / math.sqrt(fan_in), generator)


def lecun_uniform_(tensor: Tensor, generator: Generator | None = None) -> Tensor:
    r"""LeCun uniform: :math:`\mathcal{U}(-\sqrt{3 / \text{fan\_in}}, \sqrt{3 / \text{fan\_in}})`, variance
    :math:`1 / \text{fan\_in}` (no PyTorch counterpart)."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound, generator)


# ----------------------------------------------------------------- structured initialisers
def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    r"""A (semi-)orthogonal matrix times ``gain``: rows are orthonormal when there are fewer rows than columns, columns
    otherwise. Dimensions after the first are flattened.

    Drawn as PyTorch does: the Q of the QR decomposition of a standard-normal matrix, with each column's sign flipped
    by the sign of R's diagonal, which makes Q uniform (Haar) over orthogonal matrices (Mezzadri 2007).

    Example::

        >>> w = nn.init.orthogonal_(chainrule.empty(3, 5))   # w @ w.T == I
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor._data.shape[0]
    cols = tensor._data.size // rows
    flat = np_generator(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tensor._data.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None) -> Tensor:
    r"""A sparse 2-D matrix (Martens 2010): :math:`\mathcal{N}(0, \text{std}^2)` values with
    ``ceil(sparsity * rows)`` zeros placed at random in every column."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor._data.shape
    num_zeros = math.ceil(sparsity * rows)
    w = _normal(tensor, 0.0, std, generator)
    rng = np_generator(generator)
    for c in range(cols):
        w[rng.permutation(rows)[:num_zeros], c] = 0
    return _write(tensor, w)


# ----------------------------------------------------------------- PyTorch's deprecated spellings
def _deprecated(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    new, old = fn.__name__, fn.__name__[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`.", FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    deprecated_init.__name__ = old
    deprecated_init.__doc__ = f"Deprecated spelling of :func:`{new}`."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
