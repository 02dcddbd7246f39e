"""``summary``: a per-layer table of a model (output shape, parameters, multiply-adds, activation memory) from one real
forward pass with hooks, as ``torchinfo.summary``.

Conventions (stated once, used everywhere):

- **Rows** are the leaf modules (no children) and any module that owns parameters or buffers directly, in the order
  their ``forward`` is entered, indented by their depth in the module tree. A module called twice gets two rows; its
  parameters are counted on the first call only.
- **Parameters** are split into trainable (``requires_grad``), non-trainable (``requires_grad=False``) and buffers
  (running statistics, masks; not parameters at all). A parameter ``w`` whose module also holds a buffer ``w_mask``
  of the same shape (``torch.nn.utils.prune``'s naming) counts only its connected (non-zero mask) entries.
- **Multiply-adds** (MACs) are those of the weight products, for the whole batch; bias additions are not counted:
  ``Conv{1,2}d``: :math:`C_\\text{out} \\prod(\\text{out spatial}) (C_\\text{in}/g) \\prod(k)` per sample (with a
  ``weight_mask`` buffer: :math:`\\prod(\\text{out spatial})` times the connected weights);
  ``ConvTranspose{1,2}d``: :math:`C_\\text{in} \\prod(\\text{in spatial}) (C_\\text{out}/g) \\prod(k)` per sample;
  ``Linear``: :math:`\\text{in} \\cdot \\text{out}` per row of the input;
  ``RNN``/``LSTM``/``GRU``: :math:`G H (I_l + H)` per time step, layer and direction (:math:`G` = 1, 4, 3 gates,
  :math:`I_l` the layer's input size), and the same per row for their cells;
  ``MultiheadAttention``: the four projections (:math:`L_q E^2 + L_k (k_\\text{dim} + v_\\text{dim}) E + L_q E^2`) and
  the two attention products (:math:`2 L_q L_k E`) per sample. Every other layer (activations, normalisation,
  pooling, dropout) counts 0.
- **Activation memory** is the bytes of each row's output; the total is their sum, i.e. what a training forward pass
  would keep if every output were saved (an upper bound; under ``no_grad`` nothing is kept).

Memory: the pass runs under ``no_grad`` in ``eval()`` mode (restored afterwards), so intermediate outputs are freed as
soon as the next layer has consumed them and the hooks keep only shapes and sizes: summarising VGG-16 on a
1x3x224x224 input needs its ~550 MB of weights plus a few tens of MB of live activations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..autograd import no_grad
from ..backend import xp
from ..dtypes import float32, to_numpy_dtype
from ..nn import (
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    Linear,
    Module,
    MultiheadAttention,
    RNNBase,
    RNNCellBase,
)
from ..tensor import Tensor

__all__ = ["summary", "ModelSummary", "LayerInfo"]

_CONVS = (Conv1d, Conv2d)
_TCONVS = (ConvTranspose1d, ConvTranspose2d)


@dataclass
class LayerInfo:
    """One row of a summary: a module call with its output shape, parameters, multiply-adds and output bytes."""

    name: str
    type: str
    depth: int
    output_shape: list[tuple[int, ...]] = field(default_factory=list)
    trainable_params: int = 0
    non_trainable_params: int = 0
    buffers: int = 0
    macs: int = 0
    output_bytes: int = 0


@dataclass
class ModelSummary:
    """The result of :func:`summary`: ``layers`` (the rows), the totals as attributes, the table as ``str()``."""

    layers: list[LayerInfo]
    input_size: list[tuple[int, ...]]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    total_buffers: int
    total_macs: int
    input_bytes: int
    activation_bytes: int
    param_bytes: int

    @property
    def total_bytes(self) -> int:
        """Input + activations + parameters and buffers: a training pass's memory estimate (without gradients)."""
        return self.input_bytes + self.activation_bytes + self.param_bytes

    def __str__(self) -> str:
        head = ("Layer (type)", "Output shape", "Param #", "Non-train #", "Buffers #", "Mult-adds", "Out bytes")
        rows = [head]
        for li in self.layers:
            shape = ", ".join(str(list(s)) for s in li.output_shape) or "--"
            rows.append((f"{'  ' * max(li.depth - 1, 0)}{li.type} ({li.name})", shape, f"{li.trainable_params:,}",
                         f"{li.non_trainable_params:,}", f"{li.buffers:,}", f"{li.macs:,}", f"{li.output_bytes:,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        fmt = "  ".join([f"{{:<{widths[0]}}}"] + [f"{{:>{w}}}" for w in widths[1:]])
        rule = "=" * (sum(widths) + 2 * (len(widths) - 1))
        mb = 1024.0 ** 2
        lines = [rule, fmt.format(*head), rule, *(fmt.format(*r) for r in rows[1:]), rule,
                 f"Total params: {self.total_params:,}",
                 f"Trainable params: {self.trainable_params:,}",
                 f"Non-trainable params: {self.non_trainable_params:,}",
                 f"Buffers: {self.total_buffers:,}",
                 f"Total mult-adds: {self.total_macs:,} ({self.total_macs / 1e9:.3f} G)",
                 rule,
                 f"Input size (MB): {self.input_bytes / mb:.2f}",
                 f"Forward activations (MB): {self.activation_bytes / mb:.2f}",
                 f"Params and buffers size (MB): {self.param_bytes / mb:.2f}",
                 f"Estimated total size (MB): {self.total_bytes / mb:.2f}",
                 rule]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _shapes(x: Any) -> list[tuple[int, ...]]:
    """The shapes of the tensors in an output (a tensor, or nested tuples/lists/dicts of them)."""
    if isinstance(x, Tensor):
        return [tuple(int(d) for d in x.shape)]
    if isinstance(x, (tuple, list)):
        return [s for v in x for s in _shapes(v)]
    if isinstance(x, dict):
        return [s for v in x.values() for s in _shapes(v)]
    return []


def _nbytes(x: Any) -> int:
    if isinstance(x, Tensor):
        return int(x._data.nbytes)
    if isinstance(x, (tuple, list)):
        return sum(_nbytes(v) for v in x)
    if isinstance(x, dict):
        return sum(_nbytes(v) for v in x.values())
    return 0


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _recurrent_macs(module: Module, inputs: tuple[Any, ...]) -> int:
    """Gate products of a recurrent layer or cell: ``G * H * (I_l + H)`` per step, layer and direction."""
    if not inputs or not isinstance(inputs[0], Tensor):
        return 0
    x, h = inputs[0], module.hidden_size
    if isinstance(module, RNNCellBase):
        gates = {"RNNCell": 1, "LSTMCell": 4, "GRUCell": 3}.get(type(module).__name__, 1)
        rows = x.numel() // module.input_size if module.input_size else 0
        return rows * gates * h * (module.input_size + h)
    d = 2 if module.bidirectional else 1
    steps_x_batch = x.numel() // module.input_size if module.input_size else 0
    per_step = sum(_GATES[module.mode] * h * ((module.input_size if layer == 0 else d * h) + h)
                   for layer in range(module.num_layers))
    return steps_x_batch * d * per_step


def _attention_macs(module: MultiheadAttention, inputs: tuple[Any, ...]) -> int:
    """The q/k/v/out projections and the two attention products of a ``MultiheadAttention`` call."""
    if len(inputs) < 3 or not all(isinstance(t, Tensor) for t in inputs[:3]):
        return 0
    q, k = inputs[0], inputs[1]
    e = module.embed_dim
    batch = (q.shape[0] if module.batch_first else q.shape[1]) if q.ndim == 3 else 1
    rows_q, rows_k = q.numel() // e, k.numel() // module.kdim
    lk = rows_k // batch if batch else 0
    return 2 * rows_q * e * e + rows_k * (module.kdim + module.vdim) * e + 2 * rows_q * lk * e


def _macs(module: Module, inputs: tuple[Any, ...], output: Any) -> int:
    """Multiply-adds of the weight product of ``module`` for the whole batch (bias additions not counted)."""
    if isinstance(module, (RNNBase, RNNCellBase)):
        return _recurrent_macs(module, inputs)
    if isinstance(module, MultiheadAttention):
        return _attention_macs(module, inputs)
    if not isinstance(output, Tensor):
        return 0
    if isinstance(module, _CONVS):
        cout, spatial = output.shape[1], int(np.prod(output.shape[2:]))
        batch = output.shape[0] if output.ndim == module._nsp + 2 else 1
        mask = module._buffers.get("weight_mask")
        # NOTE: a masked (sparse) convolution multiplies only its connected weights: spatial x nnz(weight)
        weights = int(xp.count_nonzero(mask._data)) if mask is not None and tuple(mask.shape) == tuple(
            module.weight.shape) else cout * (module.in_channels // module.groups) * int(np.prod(module.kernel_size))
        return batch * spatial * weights
    if isinstance(module, _TCONVS) and inputs and isinstance(inputs[0], Tensor):
        x = inputs[0]
        spatial = int(np.prod(x.shape[-module._nsp:]))
        batch = x.shape[0] if x.ndim == module._nsp + 2 else 1
        k = int(np.prod(module.kernel_size))
        return batch * module.in_channels * spatial * (module.out_channels // module.groups) * k
    if isinstance(module, Linear):
        rows = output.numel() // module.out_features if module.out_features else 0
        return rows * module.in_features * module.out_features
    return 0


def _param_counts(module: Module, seen: set[int]) -> tuple[int, int, int]:
    """(trainable, non-trainable, buffer) element counts owned directly by ``module`` and not in ``seen`` (ids of the
    tensors already counted, updated); masked entries are skipped."""
    train = frozen = bufs = 0
    for name, p in module._parameters.items():
        if p is None or id(p) in seen:
            continue
        seen.add(id(p))
        mask = module._buffers.get(name + "_mask")
        n = int(xp.count_nonzero(mask._data)) if mask is not None and tuple(mask.shape) == tuple(p.shape) \
            else p.numel()
        if p.requires_grad:
            train += n
        else:
            frozen += n
    for b in module._buffers.values():
        if b is not None and id(b) not in seen:
            seen.add(id(b))
            bufs += b.numel()
    return train, frozen, bufs


def _as_sizes(input_size: Any) -> list[tuple[int, ...]]:
    if not isinstance(input_size, (tuple, list)) or not input_size:
        raise TypeError(f"summary: input_size must be a non-empty tuple of ints or a list of such tuples, got "
                        f"{input_size!r}")
    if all(isinstance(d, (int, np.integer)) for d in input_size):
        sizes = [tuple(int(d) for d in input_size)]
    elif all(isinstance(s, (tuple, list)) and s and all(isinstance(d, (int, np.integer)) for d in s)
             for s in input_size):
        sizes = [tuple(int(d) for d in s) for s in input_size]
    else:
        raise TypeError(f"summary: input_size must be a tuple of ints or a list of such tuples, got {input_size!r}")
    for s in sizes:
        if any(d <= 0 for d in s):
            raise ValueError(f"summary: input sizes must be positive, got {s}")
    return sizes


def summary(model: Module, input_size: Sequence[int] | Sequence[Sequence[int]], dtype: Any = float32,
            batch_size: int = 1, seed: int = 0) -> ModelSummary:
    """Run ``model`` once on a random input of shape ``(batch_size, *input_size)`` and tabulate every layer.

    Total parameters are :math:`\\sum_p |p|` over ``model.parameters()`` (shared parameters once); multiply-adds per
    layer follow the module docstring's conventions (bias additions not counted) and cover the whole batch.

    Args:
        model: any Module; its ``forward`` receives the input tensor(s) positionally.
        input_size: the shape of one sample without the batch dimension (``(3, 224, 224)``), or a list of such
            shapes for a model that takes several inputs.
        dtype: dtype of the generated input(s): standard-normal values for floating dtypes, zeros for integers.
        batch_size: leading dimension prepended to every input size.
        seed: seed of the input's random values.

    Shape: input ``(batch_size, *input_size)``; returns a :class:`ModelSummary`.

    Example::

        >>> s = summary(create_model("lenet5"), (1, 32, 32))
        >>> s.total_params
        61706
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected a Module, got {type(model).__name__}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"summary: batch_size must be a positive integer, got {batch_size!r}")
    sizes = _as_sizes(list(input_size))
    np_dtype = to_numpy_dtype(dtype)
    rng = np.random.default_rng(seed)
    inputs = []
    for s in sizes:
        shape = (int(batch_size), *s)
        arr = rng.standard_normal(shape).astype(np_dtype) if np.issubdtype(np_dtype, np.floating) \
            else np.zeros(shape, dtype=np_dtype)
        inputs.append(Tensor._make(xp.asarray(arr), None, False))

    names = {id(m): n for n, m in model.named_modules()}
    rows: list[LayerInfo] = []
    open_rows: dict[int, list[LayerInfo]] = {}
    seen: set[int] = set()  # parameters and buffers already given a row

    def pre_hook(module: Module, args: tuple[Any, ...]) -> None:
        name = names.get(id(module), "") or type(module).__name__
        row = LayerInfo(name=name, type=type(module).__name__,
                        depth=name.count(".") + 1 if names.get(id(module)) else 0)
        row.trainable_params, row.non_trainable_params, row.buffers = _param_counts(module, seen)
        rows.append(row)
        open_rows.setdefault(id(module), []).append(row)

    def post_hook(module: Module, args: tuple[Any, ...], output: Any) -> None:
        row = open_rows[id(module)].pop()
        row.output_shape = _shapes(output)
        row.output_bytes = _nbytes(output)
        row.macs = _macs(module, args, output)

    handles = []
    for m in {id(m): m for m in model.modules()}.values():
        if not m._modules or any(v is not None for v in m._parameters.values()) or m._buffers:
            handles.append(m.register_forward_pre_hook(pre_hook))
            handles.append(m.register_forward_hook(post_hook))
    modes = {id(m): m.training for m in model.modules()}
    try:
        model.eval()
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m in model.modules():
            m.training = modes[id(m)]

    # NOTE: totals come from the module tree, not the rows, so layers the forward pass skipped still count
    train = frozen = bufs = 0
    counted: set[int] = set()
    for m in model.modules():
        t, f, b = _param_counts(m, counted)
        train, frozen, bufs = train + t, frozen + f, bufs + b
    tensors = {id(p): p for p in model.parameters()} | {id(b): b for b in model.buffers()}
    pbytes = sum(int(t._data.nbytes) for t in tensors.values())
    return ModelSummary(
        layers=rows, input_size=sizes, total_params=train + frozen, trainable_params=train,
        non_trainable_params=frozen, total_buffers=bufs, total_macs=sum(r.macs for r in rows),
        input_bytes=sum(int(x._data.nbytes) for x in inputs),
        activation_bytes=sum(r.output_bytes for r in rows), param_bytes=pbytes)
