"""LeNet-5 as published (LeCun, Bottou, Bengio, Haffner 1998): trainable subsampling, the sparse C3 connection table
(Table I), the scaled-tanh squashing function and Euclidean RBF output units.

Trainable parameters of this implementation, layer by layer (the paper's Section II.B figures):

======  ===========================================================  =======
layer   trainable parameters                                         count
======  ===========================================================  =======
C1      6 maps x (5x5 weights + 1 bias)                              156
S2      6 maps x (1 coefficient + 1 bias)                            12
C3      60 connections of Table I x 5x5 weights + 16 biases          1,516
S4      16 maps x (1 coefficient + 1 bias)                           32
C5      120 maps x (16 x 5x5 weights + 1 bias)                       48,120
F6      84 x (120 weights + 1 bias)                                  10,164
output  10 RBF centres of 84 fixed +-1 values (a buffer, not trained)  0
======  ===========================================================  =======

Total: 60,000 trainable parameters, the paper's "60,000 trainable parameters" exactly. C3 is stored as a dense
``(16, 6, 5, 5)`` weight (2,400 entries) with a ``weight_mask`` buffer: its 900 unconnected entries are zero, stay zero
(the forward pass multiplies by the mask, so their gradient is exactly zero) and are not counted, so the parameter
tensors hold 60,900 numbers of which 60,000 are trainable; the buffers are the mask (2,400) and the RBF centres (840).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..backend import xp
from ..nn import functional as F
from ..tensor import Tensor
from ._registry import register_model

__all__ = ["LeNet5_1998", "SparseConv2d", "Subsampling", "ScaledTanh", "C3_TABLE", "lenet5_1998",
           "num_trainable_parameters"]

# Table I: C3_TABLE[i, j] is True when C3 map j takes S2 map i. Columns 0-5 take 3 contiguous maps, 6-11 take 4
# contiguous maps, 12-14 take 4 discontinuous maps, 15 takes all 6 (60 connections in all).
_COLUMNS = ([[j % 6, (j + 1) % 6, (j + 2) % 6] for j in range(6)] +
            [[j % 6, (j + 1) % 6, (j + 2) % 6, (j + 3) % 6] for j in range(6)] +
            [[0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5]])
C3_TABLE = np.zeros((6, 16), dtype=bool)
for _j, _rows in enumerate(_COLUMNS):
    C3_TABLE[_rows, _j] = True

# the paper's squashing function f(a) = A tanh(S a) (Appendix A): f(1) = 1 and f(-1) = -1
_A, _S = 1.7159, 2.0 / 3.0


class ScaledTanh(nn.Module):
    r"""The paper's squashing function :math:`f(a) = 1.7159 \tanh(\tfrac{2}{3} a)`. Shape: any; output the same."""

    def forward(self, x: Tensor) -> Tensor:
        return (x * _S).tanh() * _A


class SparseConv2d(nn.Conv2d):
    r"""A Conv2d whose output map ``o`` sees input map ``i`` only where ``table[i, o]``:
    :math:`y = (W \odot M) \star x + b` with the 0/1 mask :math:`M` stored as the ``weight_mask`` buffer.

    Unconnected weights start at zero and their gradient is exactly zero (:math:`\partial (W \odot M) / \partial W
    = M`), so no optimiser moves them; :func:`chainrule.utils.summary` counts only the connected ones.

    Args:
        table: bool array ``(in_channels, out_channels)``; the other arguments are Conv2d's.

    Shape: as Conv2d.
    """

    weight_mask: Tensor

    def __init__(self, table: np.ndarray, kernel_size: int, stride: int = 1, padding: int = 0,
                 bias: bool = True) -> None:
        table = np.asarray(table, dtype=bool)
        if table.ndim != 2:
            raise ValueError(f"SparseConv2d: table must be (in_channels, out_channels), got shape {table.shape}")
        super().__init__(table.shape[0], table.shape[1], kernel_size, stride, padding, bias=bias)
        self._table = table
        mask = xp.broadcast_to(xp.asarray(table.T, dtype=self.weight._data.dtype)[:, :, None, None],
                               self.weight.shape).copy()
        self.register_buffer("weight_mask", Tensor._make(mask, None, False))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The paper's initialisation: U(-2.4/F, 2.4/F) with F the fan-in of the unit (its connected inputs)."""
        if "weight_mask" not in self._buffers:  # Conv2d.__init__ calls this before the mask exists
            return super().reset_parameters()
        k = int(np.prod(self.kernel_size))
        fan_in = self._table.sum(axis=0) * k  # per output map
        bound = (2.4 / fan_in).astype(self.weight._data.dtype)
        shape = self.weight.shape
        u = xp.random.uniform(-1.0, 1.0, size=shape).astype(self.weight._data.dtype)
        self.weight._data[...] = u * bound[:, None, None, None] * self.weight_mask._data
        if self.bias is not None:
            self.bias._data[...] = xp.random.uniform(-1.0, 1.0, size=shape[0]).astype(self.bias._data.dtype) * bound
        return None

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        self._check_input(input)
        return F.conv2d(input, self.weight * self.weight_mask, self.bias, self.stride, self.padding)


class Subsampling(nn.Module):
    r"""The paper's subsampling layer: each 2x2 block summed, times a trainable coefficient, plus a trainable bias,
    per map: :math:`y_{c} = w_c \sum_{2\times 2} x_c + b_c` (the squashing function follows as a separate layer).

    Shape: input ``(N, C, H, W)``; output ``(N, C, H/2, W/2)``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.weight = nn.Parameter(xp.empty(channels, dtype=np.float32))
        self.bias = nn.Parameter(xp.empty(channels, dtype=np.float32))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-2.4/4, 2.4/4): the fan-in of a subsampling unit is its 4 inputs."""
        nn.init.uniform_(self.weight, -0.6, 0.6)
        nn.init.uniform_(self.bias, -0.6, 0.6)

    def forward(self, x: Tensor) -> Tensor:
        # NOTE: 4 * avg_pool is the block sum; one pooling op instead of four strided slices
        s = F.avg_pool2d(x, 2) * 4.0
        return s * self.weight.reshape(1, -1, 1, 1) + self.bias.reshape(1, -1, 1, 1)


class LeNet5_1998(nn.Module):  # noqa: N801 - the paper's year distinguishes it from the common LeNet5
    r"""LeNet-5 as in LeCun et al. 1998: C1 conv 5x5 -> 6, S2 subsampling, C3 sparse conv 5x5 -> 16 (Table I),
    S4 subsampling, C5 conv 5x5 -> 120, F6 84 units, then 10 Euclidean RBF units
    :math:`y_i = \sum_j (x_j - w_{ij})^2` with fixed centres :math:`w_{ij} \in \{-1, +1\}`. Every layer but the
    output passes through :math:`1.7159 \tanh(2a/3)`. 60,000 trainable parameters (see the module docstring).

    The output is :math:`-y` (minus the RBF penalties), so the predicted class is the argmax and cross-entropy on it,
    :math:`y_D + \log \sum_i e^{-y_i}`, is the paper's discriminative criterion (eq. 9) without its constant class.
    The paper's centres are hand-drawn 7x12 bitmaps of the characters; these are a fixed random +-1 code (seed 1998).

    Args:
        in_channels: image channels (1 in the paper).
        input_size: 32 (the paper: 28x28 digits centred in a 32x32 field) or 28 (C1 pads by 2).

    Shape: input ``(N, in_channels, input_size, input_size)``; output ``(N, 10)``.
    """

    centres: Tensor

    def __init__(self, in_channels: int = 1, input_size: int = 32) -> None:
        super().__init__()
        if input_size not in (28, 32):
            raise ValueError(f"LeNet5_1998: input_size must be 28 or 32, got {input_size}")
        self.default_input_size = (in_channels, input_size, input_size)
        self.c1 = nn.Conv2d(in_channels, 6, 5, padding=2 if input_size == 28 else 0)
        self.s2 = Subsampling(6)
        self.c3 = SparseConv2d(C3_TABLE, 5)
        self.s4 = Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.act = ScaledTanh()
        code = np.random.default_rng(1998).choice([-1.0, 1.0], size=(10, 84)).astype(np.float32)
        self.register_buffer("centres", Tensor._make(xp.asarray(code), None, False))
        for layer, fan_in in ((self.c1, in_channels * 25), (self.c5, 400), (self.f6, 120)):
            bound = 2.4 / fan_in
            nn.init.uniform_(layer.weight, -bound, bound)
            nn.init.uniform_(layer.bias, -bound, bound)  # type: ignore[arg-type]  # built with bias

    def forward(self, x: Tensor) -> Tensor:
        a = self.act
        h = a(self.s4(a(self.c3(a(self.s2(a(self.c1(x))))))))
        h = a(self.f6(a(self.c5(h)).flatten(1)))
        diff = h.unsqueeze(1) - self.centres.unsqueeze(0)  # (N, 10, 84)
        return -(diff * diff).sum(-1)


def num_trainable_parameters(model: nn.Module) -> int:
    """Trainable parameter entries of ``model``, without those a ``<name>_mask`` buffer disconnects."""
    total = 0
    for m in model.modules():
        for name, p in m._parameters.items():
            if p is None or not p.requires_grad:
                continue
            mask = m._buffers.get(name + "_mask")
            total += int(xp.count_nonzero(mask._data)) if mask is not None else p.numel()
    return total


@register_model
def lenet5_1998(in_channels: int = 1, input_size: int = 32) -> LeNet5_1998:
    """LeNet-5 exactly as LeCun et al. 1998 (sparse C3, trainable subsampling, RBF output): 60,000 trainable."""
    return LeNet5_1998(in_channels, input_size)

