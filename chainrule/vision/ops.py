"""Detection operators (as ``torchvision.ops``): RoI max pooling (Fast R-CNN) here, the box operations from
:mod:`chainrule.vision.boxes` re-exported.

``roi_pool`` is a fused primitive: composed from slicing and ``max`` it would need one graph node per region and bin;
here one node gathers every bin of every region at once and its backward scatters each bin's gradient to the element
that won the max.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..autograd.function import Primitive
from ..backend import xp
from ..nn.module import Module
from ..tensor import Tensor
from .boxes import _check_ordered, batched_nms, box_area, box_convert, box_iou, nms

__all__ = ["box_area", "box_iou", "box_convert", "nms", "batched_nms", "roi_pool", "RoIPool"]

Array = Any

# bins of this many gathered elements (regions x channels x bins x bin area) are pooled per chunk, to bound memory
_CHUNK = 1 << 22


def _round_half_away(x: Array) -> Array:
    """``std::round``: halves away from zero (NumPy's ``round`` goes to even). Exact: ``x - trunc(x)`` has no error."""
    t = xp.trunc(x)
    return t + xp.sign(x) * (xp.abs(x - t) >= 0.5)


class RoIPoolMax(Primitive):
    """Max over each bin of each region; the flat input index of each bin's maximum is kept for backward.

    Follows torchvision's legacy (Caffe) rule: the region's corners are rounded to the grid after scaling, its size
    counts both end pixels (``end - start + 1``, at least 1), bin ``p`` spans ``[floor(p * size / P),
    ceil((p + 1) * size / P))`` offset by the start and clipped to the map; an empty bin outputs 0. Within a bin
    the first maximum in row-major order wins, so ties go to the top-left element, as torchvision's loop.
    """

    argmax: Array  # (K, C, PH, PW) flat index into the input of each bin's maximum, -1 for an empty bin
    in_shape: tuple[int, ...]

    @property
    def name(self) -> str:
        return "RoIPoolBackward"

    def forward(self, x: Array, rois: Array, output_size: tuple[int, int], spatial_scale: float) -> Array:
        N, C, H, W = x.shape
        PH, PW = output_size
        dt = x.dtype
        K = rois.shape[0]
        r = rois.astype(dt, copy=False)
        batch = r[:, 0].astype(np.int64)
        # NOTE: scale and round in the input's dtype, as torchvision's kernel (it matters at .5 boundaries)
        corners = _round_half_away(r[:, 1:] * dt.type(spatial_scale)).astype(np.int64)
        x1, y1, x2, y2 = corners[:, 0], corners[:, 1], corners[:, 2], corners[:, 3]
        hs, he = self._bins(y1, y2, PH, H, dt)  # (K, PH) each
        ws, we = self._bins(x1, x2, PW, W, dt)  # (K, PW)
        out = xp.zeros((K, C, PH, PW), dtype=dt)
        self.argmax = xp.full((K, C, PH, PW), -1, dtype=np.int64)
        self.in_shape = x.shape
        if K == 0 or C == 0:
            return out
        # NOTE: a table of pixels, channels last, so that the gather copies one contiguous run of C values per pixel;
        # its extra last row is -inf, where the padding of bins smaller than the largest one points
        table = xp.empty((N * H * W + 1, C), dtype=dt)
        table[:-1].reshape(N, H, W, C)[...] = x.transpose(0, 2, 3, 1)
        table[-1] = -xp.inf
        # NOTE: regions are pooled in groups of equal largest-bin size, so that one large region does not pad the
        # bins of all the small ones; a group is split into chunks to bound the gathered memory
        bh, bw = (he - hs).max(axis=1), (we - ws).max(axis=1)
        key = bh * (W + 1) + bw
        for g in xp.unique(key):
            members = xp.flatnonzero(key == g)
            h, w = int(bh[members[0]]), int(bw[members[0]])
            if h == 0 or w == 0:  # every bin of these regions is empty: output 0, no argmax
                continue
            step = max(1, _CHUNK // (C * PH * PW * h * w))
            for k0 in range(0, members.size, step):
                k = members[k0:k0 + step]
                self._pool(table, out, batch[k], k, (hs[k], he[k], ws[k], we[k]), h, w, (H, W))
        return out

    def _pool(self, table: Array, out: Array, batch: Array, k: Array, bins: tuple[Array, Array, Array, Array],
              bh: int, bw: int, hw: tuple[int, int]) -> None:
        """Max of every bin of regions ``k`` (bins at most ``bh`` x ``bw``) into ``out`` and ``self.argmax``."""
        hs, he, ws, we = bins
        H, W = hw
        n, PH, PW = hs.shape[0], hs.shape[1], ws.shape[1]
        C = table.shape[1]
        hi = hs[:, :, None] + xp.arange(bh)  # (n, PH, bh): rows of each bin, padded to bh
        wi = ws[:, :, None] + xp.arange(bw)
        hvalid, wvalid = hi < he[:, :, None], wi < we[:, :, None]
        pix = (batch[:, None, None, None, None] * H + hi[:, :, None, :, None]) * W + wi[:, None, :, None, :]
        pix = xp.where(hvalid[:, :, None, :, None] & wvalid[:, None, :, None, :], pix, table.shape[0] - 1)
        vals = xp.take(table, pix.reshape(-1), axis=0).reshape(n, PH, PW, bh * bw, C)
        best = vals.max(axis=3)  # (n, PH, PW, C)
        # the first position (row-major: h, then w) that reaches the max, as torchvision's strict > scan
        pos = xp.argmax(vals == best[:, :, :, None], axis=3)
        empty = ~(hvalid.any(-1)[:, :, None] & wvalid.any(-1)[:, None, :])[..., None]  # (n, PH, PW, 1)
        out[k] = xp.where(empty, 0, best).transpose(0, 3, 1, 2)
        h = hs[:, :, None, None] + pos // bw
        w = ws[:, None, :, None] + pos % bw
        flat = ((batch[:, None, None, None] * C + xp.arange(C)) * H + h) * W + w
        self.argmax[k] = xp.where(empty, -1, flat).transpose(0, 3, 1, 2)

    @staticmethod
    def _bins(start: Array, end: Array, n_bins: int, size: int, dt: Any) -> tuple[Array, Array]:
        """Start (inclusive) and end (exclusive) of the bins of each region along one axis, clipped to [0, size]."""
        length = xp.maximum(end - start + 1, 1)
        bin_size = length.astype(dt) / dt.type(n_bins)
        p = xp.arange(n_bins, dtype=dt)
        lo = xp.floor(p * bin_size[:, None]).astype(np.int64) + start[:, None]
        hi = xp.ceil((p + 1) * bin_size[:, None]).astype(np.int64) + start[:, None]
        return xp.clip(lo, 0, size), xp.clip(hi, 0, size)

    def backward(self, g: Array) -> tuple[Array | None, None]:
        if not self.needs_input_grad[0]:
            return None, None
        gx = xp.zeros(int(np.prod(self.in_shape)), dtype=g.dtype)
        hit = self.argmax >= 0
        # NOTE: add.at, not gx[idx] += g: one element can win several (overlapping) bins and regions
        xp.add.at(gx, self.argmax[hit], g[hit])
        return gx.reshape(self.in_shape), None


def _pair(output_size: Any) -> tuple[int, int]:
    size = (output_size, output_size) if isinstance(output_size, (int, np.integer)) else tuple(output_size)
    if len(size) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size):
        raise ValueError(f"roi_pool: output_size must be a positive int or a pair of positive ints, got {output_size}")
    return int(size[0]), int(size[1])


def _rois(boxes: Any, n_images: int) -> np.ndarray:
    """The regions as an array (K, 5) of (batch_index, x1, y1, x2, y2), from a Tensor[K, 5] or a list of
    Tensor[L, 4] (one per image)."""
    if isinstance(boxes, Tensor):
        r = boxes._data
        if r.ndim != 2 or r.shape[1] != 5:
            raise RuntimeError(f"roi_pool: expected boxes as a Tensor of shape (K, 5) (batch_index, x1, y1, x2, y2) "
                               f"or a list of Tensors of shape (L, 4), got a Tensor of shape {tuple(r.shape)}")
    elif isinstance(boxes, (list, tuple)):
        parts = []
        for i, b in enumerate(boxes):
            if not isinstance(b, Tensor) or b.ndim != 2 or b.shape[1] != 4:
                shape = tuple(b.shape) if isinstance(b, Tensor) else type(b).__name__
                raise RuntimeError(f"roi_pool: expected boxes[{i}] to be a Tensor of shape (L, 4), got {shape}")
            bd = b._data
            parts.append(xp.concatenate([xp.full((bd.shape[0], 1), i, dtype=bd.dtype), bd], axis=1))
        r = xp.concatenate(parts) if parts else xp.zeros((0, 5))
    else:
        raise TypeError(f"roi_pool: expected boxes to be a Tensor[K, 5] or a list of Tensor[L, 4], got "
                        f"{type(boxes).__name__}")
    _check_ordered(r[:, 1:], "roi_pool", "boxes")
    idx = r[:, 0]
    bad = (idx < 0) | (idx >= n_images) | (idx != xp.trunc(idx))
    if bad.any():
        i = int(xp.argmax(bad))
        raise ValueError(f"roi_pool: boxes[{i}] has batch index {idx[i].item()}, expected an integer in "
                         f"[0, {n_images - 1}] for an input of {n_images} images")
    return r


def roi_pool(input: Tensor, boxes: Tensor | Sequence[Tensor], output_size: int | tuple[int, int],  # noqa: A002
             spatial_scale: float = 1.0) -> Tensor:
    r"""Max-pool each region of interest into a fixed ``output_size`` grid (Fast R-CNN), as torchvision's ``roi_pool``.

    For a region with corners rounded to the map, :math:`s = \mathrm{round}(x_1 \cdot \text{scale})`,
    :math:`e = \mathrm{round}(x_2 \cdot \text{scale})`, width :math:`w = \max(e - s + 1, 1)` (likewise the height),
    bin :math:`(i, j)` covers rows :math:`[\lfloor i h / P_h \rfloor, \lceil (i + 1) h / P_h \rceil)` and columns
    :math:`[\lfloor j w / P_w \rfloor, \lceil (j + 1) w / P_w \rceil)` offset by the start and clipped to the map:

    .. math:: y_{k, c, i, j} = \max_{(u, v) \in \text{bin}_{k, i, j}} x_{b_k, c, u, v}

    (0 for an empty bin).

    ``round`` goes half away from zero. The gradient of each bin goes to the element that gave its maximum.

    Args:
        input: the feature map.
        boxes: the regions in input-image coordinates: a Tensor[K, 5] of rows ``(batch_index, x1, y1, x2, y2)``, or
            a list of Tensor[L, 4] ``(x1, y1, x2, y2)``, one per image of the batch.
        output_size: the pooled size :math:`(P_h, P_w)`, or one int for both.
        spatial_scale: the factor mapping box coordinates to the feature map (e.g. 1/16 for a stride of 16).

    Shape:
        - input: :math:`(N, C, H, W)`
        - boxes: :math:`(K, 5)` or a list of :math:`(L_n, 4)` with :math:`\sum_n L_n = K`
        - output: :math:`(K, C, P_h, P_w)`

    Example::

        >>> x = chainrule.arange(16.).reshape(1, 1, 4, 4)
        >>> roi_pool(x, chainrule.tensor([[0., 0., 0., 3., 3.]]), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"roi_pool: expected input to be a Tensor, got {type(input).__name__}")
    if input.ndim != 4:
        raise RuntimeError(f"roi_pool: expected input of shape (N, C, H, W), got {tuple(input.shape)}")
    if not input.is_floating_point():
        raise RuntimeError(f"roi_pool: expected a floating-point input, got {input.dtype}")
    size = _pair(output_size)
    if not spatial_scale > 0:
        raise ValueError(f"roi_pool: spatial_scale must be positive, got {spatial_scale}")
    rois = _rois(boxes, input.shape[0])
    return RoIPoolMax.apply(input, rois, output_size=size, spatial_scale=float(spatial_scale))


class RoIPool(Module):
    r"""Max-pool regions of interest into a fixed grid; see :func:`roi_pool`.

    Args:
        output_size: the pooled size :math:`(P_h, P_w)`, or one int for both.
        spatial_scale: the factor mapping box coordinates to the feature map.

    Shape:
        - input: :math:`(N, C, H, W)`; rois: :math:`(K, 5)` or a list of :math:`(L_n, 4)`
        - output: :math:`(K, C, P_h, P_w)`

    Example::

        >>> pool = RoIPool((7, 7), spatial_scale=1 / 16)
        >>> pool(chainrule.randn(1, 256, 32, 32), chainrule.tensor([[0., 0., 0., 256., 256.]])).shape
        chainrule.Size([1, 256, 7, 7])
    """

    def __init__(self, output_size: int | tuple[int, int], spatial_scale: float) -> None:
        super().__init__()
        _pair(output_size)
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois: Tensor | Sequence[Tensor]) -> Tensor:  # noqa: A002 - PyTorch's name
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}"
