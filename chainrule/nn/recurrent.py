"""Recurrent layers with PyTorch's names, parameters and semantics: ``RNN``, ``LSTM``, ``GRU`` (stacked, optionally
bidirectional, dropout between layers) and the single-step ``RNNCell``, ``LSTMCell``, ``GRUCell``.

Parameter names and shapes are PyTorch's (``weight_ih_l0``, ``weight_hh_l0_reverse``, ...; gate rows in the order
i, f, g, o for the LSTM and r, z, n for the GRU), so a PyTorch ``state_dict`` loads as is.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ..tensor import Tensor
from ..tensor.creation import empty, zeros
from . import init
from .functional.recurrent import Weights, gru_cell, lstm_cell, recurrent, rnn_relu_cell, rnn_tanh_cell
from .module import Module
from .parameter import Parameter
from .utils.packed import PackedSequence, packed_recurrent

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _shape(t: Tensor) -> tuple[int, ...]:
    return tuple(t._data.shape)


class RNNBase(Module):
    """The stack of recurrent layers behind :class:`RNN`, :class:`LSTM` and :class:`GRU`: parameters, validation and
    the batch-first / unbatched layouts. ``mode`` is ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = "RNN" if mode.startswith("RNN") else mode
        if mode not in _GATES:
            raise ValueError(f"{name}: unrecognized RNN mode: {mode!r}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             f"being zeroed, got {dropout}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                          f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"{name}: hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        if num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable projections, got "
                             f"{proj_size}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
                             f"hidden_size={hidden_size}")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        d = 2 if bidirectional else 1
        gate_size, real_hidden = _GATES[mode] * hidden_size, proj_size or hidden_size  # h_t is P wide if projected
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for direction in range(d):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                layer_input = input_size if layer == 0 else real_hidden * d
                shapes: dict[str, tuple[int, ...]] = {"weight_ih": (gate_size, layer_input),
                                                      "weight_hh": (gate_size, real_hidden)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes.update(weight_hr=(proj_size, hidden_size))
                for pname, shape in shapes.items():
                    setattr(self, pname + suffix, Parameter(empty(shape, dtype=dtype, device=device)))
                    self._flat_weights_names.append(pname + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Initialise every weight and bias from :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`, as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch code (cuDNN weight packing has no meaning here)."""

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, as PyTorch's ``all_weights``."""
        w, k = self._flat_weights, (4 if self.bias else 2) + (1 if self.proj_size else 0)
        return [w[i:i + k] for i in range(0, len(w), k)]

    def _weights(self) -> Weights:
        """``(w_ih, w_hh, b_ih, b_hh)`` per layer and direction (biases None without bias), ``+ (w_hr,)`` if
        projected."""
        out: list[Any] = []
        for g in self.all_weights:
            w = (g[0], g[1], g[2], g[3]) if self.bias else (g[0], g[1], None, None)
            out.append(w + (g[-1],) if self.proj_size else w)
        return out

    def _expected(self, batch: int) -> list[tuple[int, ...]]:
        """The shapes of h_0 (and c_0): :math:`(D L, B, P)` with projections, c_0 keeps :math:`H`."""
        dl = (2 if self.bidirectional else 1) * self.num_layers
        return [(dl, batch, self.proj_size or self.hidden_size), (dl, batch, self.hidden_size)]

    def _check_hidden(self, h: Tensor, expected: tuple[int, ...], which: str) -> None:
        if _shape(h) != expected:
            raise RuntimeError(f"{self._get_name()}: Expected {which} size {expected}, got {list(_shape(h))}")
        if h._data.dtype != self._flat_weights[0]._data.dtype:
            raise RuntimeError(f"{self._get_name()}: expected {which} of dtype {self._flat_weights[0].dtype} (the "
                               f"weights' dtype), got {h.dtype}")

    def _states(self, hx: Any, ndim: int) -> list[Tensor]:
        """``hx`` as a list: [] (zeros), [h_0], or [h_0, c_0] for the LSTM, each checked to be ``ndim``-D."""
        name, lstm = self._get_name(), self.mode == "LSTM"
        if hx is None:
            return []
        states = list(hx) if lstm and isinstance(hx, (tuple, list)) else [hx]
        if lstm and len(states) != 2 or not all(isinstance(s, Tensor) for s in states):
            raise TypeError(f"{name}: expected hx to be " + ("a tuple (h_0, c_0) of Tensors" if lstm else
                                                             "a Tensor") + f", got {type(hx).__name__}")
        dims = [s.ndim for s in states]
        if any(d != ndim for d in dims):
            kind = "For batched 3-D input" if ndim == 3 else "For unbatched 2-D input"
            what = "hx and cx should also be" if lstm else "hx should also be"
            got = ("(" + ", ".join(f"{d}-D" for d in dims) + ") tensors") if lstm else f"{dims[0]}-D tensor"
            raise RuntimeError(f"{name}: {kind}, {what} {ndim}-D but got {got}")
        return states

    def _check_input(self, x: Tensor, what: str) -> None:
        name, feat, wdt = self._get_name(), x.shape[-1], self._flat_weights[0].dtype
        if feat != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{feat} ({what} of shape {_shape(x)})")
        if x.dtype != wdt:
            raise ValueError(f"{name} input dtype ({x.dtype}) does not match weight dtype ({wdt}). Convert input: "
                             f"input.to({wdt}), or convert model: model.to({x.dtype})")

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002 - PyTorch's name
        """Run the stack over ``input``: a padded sequence (see the class's Shape) or a :class:`PackedSequence`,
        which gives a PackedSequence of outputs and the states at each sequence's own last step."""
        name, lstm = self._get_name(), self.mode == "LSTM"
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor or a PackedSequence, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead (input of shape "
                             f"{_shape(input)})")
        batched = input.ndim == 3
        states = self._states(hx, input.ndim)
        if not batched:
            input = input.unsqueeze(1)
            states = [s.unsqueeze(1) for s in states]
        elif self.batch_first:
            input = input.transpose(0, 1)
        t, b, _ = _shape(input)
        self._check_input(input, "input")
        if t == 0:
            raise RuntimeError(f"{name}: Expected sequence length to be larger than 0 in RNN, got input of shape "
                               f"{_shape(input)}")
        for i, s in enumerate(states):
            self._check_hidden(s, self._expected(b)[i], f"hidden[{i}]" if lstm else "hidden")
        h0 = states[0] if states else None
        c0 = states[1] if len(states) > 1 else None
        out, hn, cn = recurrent(self.mode, input, h0, c0, self._weights(), self.num_layers, self.bidirectional,
                                self.dropout, self.training)
        if not batched:
            out, hn = out.squeeze(1), hn.squeeze(1)
            cn = cn.squeeze(1) if cn is not None else None
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, ((hn, cn) if lstm else hn)

    def _forward_packed(self, input: PackedSequence, hx: Any) -> tuple[PackedSequence, Any]:  # noqa: A002
        """The packed path: see :func:`chainrule.nn.utils.packed.packed_recurrent`."""
        lstm, data = self.mode == "LSTM", input.data
        if data.ndim != 2:
            raise ValueError(f"{self._get_name()}: expected packed data of shape (N, {self.input_size}), got "
                             f"{_shape(data)}")
        self._check_input(data, "packed data")
        states = self._states(hx, 3)
        for i, s in enumerate(states):
            self._check_hidden(s, self._expected(int(input.batch_sizes[0]))[i], f"hidden[{i}]" if lstm else "hidden")
        # NOTE: packed_recurrent passes the weights through to F.recurrent untouched, 5-tuples (w_hr) included
        out, hn, cn = packed_recurrent(self.mode, input, states[0] if states else None,
                                       states[1] if len(states) > 1 else None, self._weights(),  # type: ignore[arg-type]
                                       self.num_layers, self.bidirectional, self.dropout, self.training)
        packed = PackedSequence(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
        return packed, ((hn, cn) if lstm else hn)

    def extra_repr(self) -> str:
        defaults = {"proj_size": 0, "num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False}  # as PyTorch, only the arguments that differ from their default
        return f"{self.input_size}, {self.hidden_size}" + "".join(
            f", {k}={getattr(self, k)}" for k, v in defaults.items() if getattr(self, k) != v)


class RNN(RNNBase):
    r"""A multi-layer Elman RNN: :math:`h_t = \tanh(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})` (or ReLU).

    Layer :math:`l > 0` takes the hidden states of layer :math:`l - 1` (after dropout in training) as its input.

    Args:
        input_size: features of the input :math:`H_{in}`.
        hidden_size: features of the hidden state :math:`H`.
        num_layers: the number of stacked layers :math:`L`. Default: 1.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        bias: learn ``b_ih`` and ``b_hh``. Default: True.
        batch_first: input and output are :math:`(B, T, \cdot)` instead of :math:`(T, B, \cdot)`. Default: False.
        dropout: dropout probability on the outputs of every layer but the last. Default: 0.
        bidirectional: add a layer that reads the sequence backwards (:math:`D = 2`). Default: False.

    Shape:
        - input: :math:`(T, B, H_{in})`, :math:`(B, T, H_{in})` with ``batch_first``, or :math:`(T, H_{in})`.
        - hx: :math:`(D L, B, H)` or :math:`(D L, H)`; zeros when omitted.
        - output: :math:`(T, B, D H)` (batch first with ``batch_first``) and ``h_n`` :math:`(D L, B, H)`.
        - input may also be a :class:`~chainrule.nn.utils.rnn.PackedSequence` (variable-length sequences): the
          output is then a PackedSequence of the same layout and ``h_n`` holds each sequence's state at its own
          last step, in the original batch order.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(chainrule.randn(5, 3, 10))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)


class LSTM(RNNBase):
    r"""A multi-layer long short-term memory network (Hochreiter & Schmidhuber, 1997). For each step:

    .. math::
        (i, f, g, o) = (\sigma, \sigma, \tanh, \sigma)(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh}), \quad
        c_t = f \odot c_{t-1} + i \odot g, \quad h_t = o \odot \tanh(c_t)

    With ``proj_size`` :math:`P > 0` (Sak et al., 2014) the hidden state is projected, :math:`h_t = (o \odot
    \tanh(c_t)) W_{hr}^T` with ``weight_hr_l{k}`` :math:`(P, H)`, and ``weight_hh_l{k}`` is :math:`(4H, P)`.

    Args: as :class:`RNN` (without ``nonlinearity``), and ``proj_size``: :math:`P`, 0 (default) for none, else
    less than ``hidden_size``.

    Shape (:math:`H_{out} = P` with projections, else :math:`H`):
        - input: :math:`(T, B, H_{in})`, :math:`(B, T, H_{in})` with ``batch_first``, or :math:`(T, H_{in})`.
        - hx: a tuple ``(h_0, c_0)``, :math:`(D L, B, H_{out})` and :math:`(D L, B, H)` (no :math:`B` unbatched);
          zeros when omitted.
        - output: :math:`(T, B, D H_{out})` and ``(h_n, c_n)``, :math:`(D L, B, H_{out})` and :math:`(D L, B, H)`.
        - input may also be a PackedSequence, as for :class:`RNN`.

    Example::

        >>> lstm = nn.LSTM(28, 128, batch_first=True)
        >>> output, (h_n, c_n) = lstm(chainrule.randn(64, 28, 28))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    r"""A multi-layer gated recurrent unit network (Cho et al., 2014). For each step:

    .. math::
        r, z = \sigma(x_t W_{i\{r,z\}}^T + b_{i\{r,z\}} + h_{t-1} W_{h\{r,z\}}^T + b_{h\{r,z\}}), \quad
        n = \tanh(x_t W_{in}^T + b_{in} + r \odot (h_{t-1} W_{hn}^T + b_{hn})), \quad
        h_t = (1 - z) \odot n + z \odot h_{t-1}

    Args: as :class:`RNN` (without ``nonlinearity``).

    Shape: as :class:`RNN`.

    Example::

        >>> gru = nn.GRU(10, 20, 2, bidirectional=True)
        >>> output, h_n = gru(chainrule.randn(5, 3, 10))       # output (5, 3, 40), h_n (4, 3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)


class RNNCellBase(Module):
    """The parameters and input checks shared by :class:`RNNCell`, :class:`LSTMCell` and :class:`GRUCell`:
    ``weight_ih`` :math:`(G H, H_{in})`, ``weight_hh`` :math:`(G H, H)`, ``bias_ih`` and ``bias_hh`` :math:`(G H)`
    for :math:`G` gates."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if hidden_size <= 0:
            raise ValueError(f"{self._get_name()}: hidden_size must be greater than zero, got {hidden_size}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Initialise every weight and bias from :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`, as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _prepare(self, input: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[Tensor], bool]:  # noqa: A002
        """Validate; return the input as (B, H_in), the states as (B, H) (zeros for None) and whether batched."""
        name = self._get_name()
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead (input of shape "
                             f"{_shape(input)})")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        b, feat = _shape(x)
        if feat != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {feat} expected {self.input_size} "
                               f"(input of shape {_shape(input)})")
        if input.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"{name}: expected input of dtype {self.weight_ih.dtype} (the weights' dtype), got "
                               f"{input.dtype}")
        out = []
        for i, s in enumerate(states):
            if s is None:
                out.append(zeros(b, self.hidden_size, dtype=input.dtype))
                continue
            if not isinstance(s, Tensor):
                raise TypeError(f"{name}: expected hidden state {i} to be a Tensor, got {type(s).__name__}")
            want = (b, self.hidden_size) if batched else (self.hidden_size,)
            if _shape(s) != want or s.dtype != input.dtype:
                raise RuntimeError(f"{name}: expected hidden state {i} of shape {want} and dtype {input.dtype} for "
                                   f"input of shape {_shape(input)}, got shape {_shape(s)} and dtype {s.dtype}")
            out.append(s if batched else s.unsqueeze(0))
        return x, out, batched

    def _args(self) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        return s + (f", nonlinearity={nl}" if nl != "tanh" else "")


class RNNCell(RNNCellBase):
    r"""One step of an Elman RNN: :math:`h' = \tanh(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})` (or ReLU).

    Args:
        input_size: features of the input :math:`H_{in}`.
        hidden_size: features of the hidden state :math:`H`.
        bias: learn ``bias_ih`` and ``bias_hh``. Default: True.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.

    Shape: input :math:`(B, H_{in})` or :math:`(H_{in})`; hx :math:`(B, H)` or :math:`(H)`, zeros when omitted;
    output like hx.

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> h = cell(chainrule.randn(3, 10))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002 - PyTorch's name
        x, (h,), batched = self._prepare(input, [hx])
        fn = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        out = fn(x, h, *self._args())
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    r"""One LSTM step: :math:`(i, f, g, o) = (\sigma, \sigma, \tanh, \sigma)(x W_{ih}^T + b_{ih} + h W_{hh}^T +
    b_{hh})`, :math:`c' = f \odot c + i \odot g`, :math:`h' = o \odot \tanh(c')`.

    Args: as :class:`RNNCell` (without ``nonlinearity``).

    Shape: input :math:`(B, H_{in})` or :math:`(H_{in})`; hx a tuple ``(h, c)`` of :math:`(B, H)` or :math:`(H)`,
    zeros when omitted; returns ``(h', c')`` of the same shape.

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(chainrule.randn(3, 10))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None  # noqa: A002 - PyTorch's name
                ) -> tuple[Tensor, Tensor]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: expected hx to be a tuple (h, c) of Tensors, got {type(hx).__name__}")
        x, (h, c), batched = self._prepare(input, [None, None] if hx is None else list(hx))
        h1, c1 = lstm_cell(x, (h, c), *self._args())
        return (h1, c1) if batched else (h1.squeeze(0), c1.squeeze(0))


class GRUCell(RNNCellBase):
    r"""One GRU step: :math:`r, z = \sigma(\cdot)`, :math:`n = \tanh(x W_{in}^T + b_{in} + r \odot (h W_{hn}^T +
    b_{hn}))`, :math:`h' = (1 - z) \odot n + z \odot h`.

    Args: as :class:`RNNCell` (without ``nonlinearity``).

    Shape: as :class:`RNNCell`.

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> h = cell(chainrule.randn(3, 10))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002 - PyTorch's name
        x, (h,), batched = self._prepare(input, [hx])
        out = gru_cell(x, h, *self._args())
        return out if batched else out.squeeze(0)
