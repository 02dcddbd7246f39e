"""Fused recurrent primitives: one direction of one RNN / LSTM / GRU layer over a whole sequence is one graph node.

NOTE: fused for speed. Composed from matmul, add, sigmoid, tanh and slicing, an LSTM step is about fifteen nodes, so
a 28-step sequence would be four hundred nodes each keeping its temporaries. Here the forward projects the input of
ALL time steps with one GEMM (``x W_ih^T + b``), then runs one GEMM per step (``h W_hh^T``) and updates the gates in
place; the backward runs back through time (BPTT) on the saved gate activations, with one GEMM per step for the
recurrent gradient and single GEMMs over the whole sequence for ``dx``, ``dW_ih`` and ``dW_hh``.

Every primitive takes ``(x, h0, c0, w_ih, w_hh, b_ih, b_hh)`` (``c0`` is None except for the LSTM; both biases are
None without bias) with ``x`` of shape ``(T, B, I)`` (time first) or ``(B, I)`` (a single step: a cell), gate rows in
PyTorch's order, and returns the hidden state of every step in the input's time order, ``(T, B, H)``; the LSTM
appends the last cell state as row ``T``. With ``reverse=True`` the layer runs from the last step to the first (the
backward direction of a bidirectional layer). All constants are Python floats: float32 stays float32.

Packed sequences (``nn.utils.rnn.PackedSequence``): with ``batch_sizes`` (one int per time step, the rows sorted by
decreasing sequence length, as in a PackedSequence) step ``s`` updates only its first ``batch_sizes[s]`` rows, the
sequences still running; the others keep their state, :math:`h_s = h_{s-1}`, so that after the last step every row
holds the state at its own last step (the first step in the reverse direction starts each sequence from ``h0`` at its
own end). NOTE: a prefix of rows rather than a mask: the per-step GEMM shrinks with the batch, as PyTorch's packed
kernels. The backward passes a finished row's gradient straight through to the previous step.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.function import Primitive
from ..backend import xp

Array = Any
Grads = tuple[Array | None, ...]


def _bias_sum(b_ih: Array | None, b_hh: Array | None) -> Array | None:
    """The two biases of the gates folded into one vector (or None): they always add up before any nonlinearity."""
    if b_ih is None or b_hh is None:
        return b_hh if b_ih is None else b_ih
    return b_ih + b_hh


class _Recurrent(Primitive):
    """The bookkeeping shared by the three layers: input projection, step order, and the gradients of ``x`` and the
    weights from the gradients of the gate pre-activations (``dgx`` on the input side, ``dgh`` on the hidden side)."""

    x: Array
    w_ih: Array
    w_hh: Array
    h0: Array
    hs: Array  # the output: h_t in time order (plus c_T for the LSTM)

    def _setup(self, x: Array, w_ih: Array, w_hh: Array, h0: Array, reverse: bool, bias: Array | None,
               batch_sizes: Sequence[int] | None) -> Array:
        """Save what every backward needs; return the projected input ``x W_ih^T + bias`` of shape (T, B, G*H)."""
        self.single = x.ndim == 2
        x = x[None] if self.single else x
        t, b, i = x.shape
        self.x, self.w_ih, self.w_hh, self.h0, self.reverse = x, w_ih, w_hh, h0, reverse
        if batch_sizes is not None and (len(batch_sizes) != t or max(batch_sizes) > b or min(batch_sizes) < 1):
            raise ValueError(f"{type(self).__name__}: batch_sizes must hold {t} values in [1, {b}] (one per step of "
                             f"the input of shape {x.shape}), got {list(batch_sizes)}")
        self.ks = [b] * t if batch_sizes is None else [int(k) for k in batch_sizes]  # rows updated at each step
        xw = x.reshape(t * b, i) @ w_ih.T  # NOTE: one GEMM for every time step
        if bias is not None:
            xw += bias
        return xw.reshape(t, b, w_ih.shape[0])

    def _steps(self, t: int) -> range:
        return range(t - 1, -1, -1) if self.reverse else range(t)

    def _hprev(self) -> Array:
        """The hidden state entering each step, (T, B, H), in time order (built once per backward)."""
        hp = self.__dict__.get("_hp")
        if hp is None:
            t, h = self.x.shape[0], self.hs[:self.x.shape[0]]
            hp = self._hp = xp.empty_like(h)
            first, rest, src = (t - 1, slice(0, t - 1), h[1:]) if self.reverse else (0, slice(1, t), h[:t - 1])
            hp[first] = self.h0
            hp[rest] = src
        return hp

    def _finish(self, dgx: Array, dgh: Array, dh0: Array, dc0: Array | None) -> Grads:
        """Gradients of (x, h0, c0, w_ih, w_hh, b_ih, b_hh) from the per-step gate gradients (T, B, G*H)."""
        need, x = self.needs_input_grad, self.x
        t, b, i = x.shape
        gx2, gh2 = dgx.reshape(t * b, -1), dgh.reshape(t * b, -1)
        dx = dwi = dwh = dbi = dbh = None
        if need[0]:
            dx = (gx2 @ self.w_ih).reshape(x.shape[1:] if self.single else x.shape)
        if need[3]:
            dwi = gx2.T @ x.reshape(t * b, i)
        if need[4]:
            dwh = gh2.T @ self._hprev().reshape(t * b, -1)
        if need[5]:
            dbi = gx2.sum(axis=0)
        if need[6]:
            dbh = gh2.sum(axis=0) if dgh is not dgx else (dbi.copy() if dbi is not None else gx2.sum(axis=0))
        return dx, (dh0 if need[1] else None), (dc0 if need[2] else None), dwi, dwh, dbi, dbh

    def _gy(self, g: Array, rows: int) -> Array:
        return g.reshape(rows, *g.shape[-2:])


class RNNLayer(_Recurrent):
    r""":math:`h_t = \phi(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})` with :math:`\phi` tanh or ReLU."""

    def forward(self, x: Array, h0: Array, c0: None, w_ih: Array, w_hh: Array, b_ih: Array | None,
                b_hh: Array | None, reverse: bool = False, nonlinearity: str = "tanh",
                batch_sizes: Sequence[int] | None = None) -> Array:
        xw = self._setup(x, w_ih, w_hh, h0, reverse, _bias_sum(b_ih, b_hh), batch_sizes)
        self.relu = nonlinearity == "relu"
        hs = xp.empty(xw.shape, dtype=xw.dtype)
        b, ks = xw.shape[1], self.ks
        whh_t, h = xp.ascontiguousarray(w_hh.T), h0  # NOTE: a C-ordered W_hh^T: the per-step GEMM is ~15% faster
        for s in self._steps(xw.shape[0]):
            k = ks[s]
            if k < b:
                hs[s, k:] = h[k:]  # finished sequences keep their state
            a = hs[s, :k]
            xp.matmul(h[:k], whh_t, out=a)
            a += xw[s, :k]
            if self.relu:
                xp.maximum(a, 0, out=a)
            else:
                xp.tanh(a, out=a)
            h = hs[s]
        self.hs = hs
        return hs[0] if self.single else hs

    def backward(self, g: Array) -> Grads:
        hs = self.hs
        gy = self._gy(g, hs.shape[0])
        # NOTE: the activation's derivative from its output, for all steps at once: 1 - h^2, or [h > 0] for ReLU
        d = (hs > 0).astype(hs.dtype) if self.relu else 1 - hs * hs
        dg = xp.empty_like(hs)
        dh = xp.zeros_like(hs[0])
        b, ks = hs.shape[1], self.ks
        for s in reversed(self._steps(hs.shape[0])):
            k, gs = ks[s], gy[s] + dh
            xp.multiply(gs[:k], d[s, :k], out=dg[s, :k])
            if k < b:
                dg[s, k:] = 0
            dh = dg[s] @ self.w_hh
            if k < b:
                dh[k:] = gs[k:]  # a finished row's state was copied: its gradient passes straight through
        return self._finish(dg, dg, dh, None)


class LSTMLayer(_Recurrent):
    r"""Gates :math:`(i, f, g, o) = (\sigma, \sigma, \tanh, \sigma)(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})`,
    :math:`c_t = f \odot c_{t-1} + i \odot g`, :math:`h_t = o \odot \tanh(c_t)`. Returns (T + 1, B, H): the h_t, then
    the last c."""

    def forward(self, x: Array, h0: Array, c0: Array, w_ih: Array, w_hh: Array, b_ih: Array | None,
                b_hh: Array | None, reverse: bool = False, batch_sizes: Sequence[int] | None = None) -> Array:
        xw = self._setup(x, w_ih, w_hh, h0, reverse, _bias_sum(b_ih, b_hh), batch_sizes)
        t, b, g4 = xw.shape
        n = g4 // 4
        # NOTE: sigma(a) = 0.5 tanh(a / 2) + 0.5 (never overflows), so all four gates take ONE tanh: the sigmoid
        # columns are pre-scaled by 1/2 (exact: a power of two) in the input projection and in W_hh, then mapped back.
        scale = xp.full(g4, 0.5, dtype=xw.dtype)
        scale[2 * n:3 * n] = 1.0
        shift = xp.full(g4, 0.5, dtype=xw.dtype)
        shift[2 * n:3 * n] = 0.0
        xw *= scale
        whh_t = xp.ascontiguousarray((w_hh * scale[:, None]).T)  # C-ordered: the per-step GEMM is ~15% faster
        out = xp.empty((t + 1, b, n), dtype=xw.dtype)
        cs = xp.empty((t, b, n), dtype=xw.dtype)
        # tanh(c_t): zeros in the rows of finished sequences, which the backward reads but does not use
        tcs = (xp.empty if batch_sizes is None else xp.zeros)((t, b, n), dtype=xw.dtype)
        buf, tmp = xp.empty((b, g4), dtype=xw.dtype), xp.empty((b, n), dtype=xw.dtype)
        h, c, ks = h0, c0, self.ks
        for s in self._steps(t):
            k = ks[s]
            if k < b:
                out[s, k:], cs[s, k:] = h[k:], c[k:]  # finished sequences keep their state
            a, g, cn = xw[s, :k], buf[:k], cs[s, :k]
            xp.matmul(h[:k], whh_t, out=g)
            a += g
            xp.tanh(a, out=a)
            a *= scale
            a += shift
            xp.multiply(a[:, n:2 * n], c[:k], out=cn)
            xp.multiply(a[:, :n], a[:, 2 * n:3 * n], out=tmp[:k])
            cn += tmp[:k]
            xp.tanh(cn, out=tcs[s, :k])
            xp.multiply(a[:, 3 * n:], tcs[s, :k], out=out[s, :k])
            h, c = out[s], cs[s]
        out[t] = c
        self.acts, self.cs, self.tcs, self.c0, self.hs = xw, cs, tcs, c0, out
        return out

    def backward(self, g: Array) -> Grads:
        acts, cs, tcs = self.acts, self.cs, self.tcs
        t, b, g4 = acts.shape
        n, ks = g4 // 4, self.ks
        gy = self._gy(g, t + 1)
        # NOTE: what does not depend on the incoming gradient is computed for all steps at once, outside the loop:
        # the gates' derivatives (sigma' = s (1 - s), tanh' = 1 - g^2) and dh_t -> dc_t, o (1 - tanh(c)^2).
        d = 1 - acts
        d *= acts
        gg = acts[..., 2 * n:3 * n]
        xp.multiply(gg, gg, out=d[..., 2 * n:3 * n])
        xp.subtract(1, d[..., 2 * n:3 * n], out=d[..., 2 * n:3 * n])
        p = tcs * tcs
        xp.subtract(1, p, out=p)
        p *= acts[..., 3 * n:]
        dgates = xp.empty_like(acts)
        dh = xp.zeros_like(cs[0])
        dc = gy[t].copy()  # the gradient of the returned last cell state
        for s in reversed(self._steps(t)):
            k = ks[s]
            a, dga = acts[s, :k], dgates[s, :k]
            dhs = gy[s] + dh
            dcs = dhs[:k] * p[s, :k]
            dcs += dc[:k]
            if self.reverse:
                c_prev = cs[s + 1] if s + 1 < t else self.c0
            else:
                c_prev = cs[s - 1] if s > 0 else self.c0
            xp.multiply(dcs, a[:, 2 * n:3 * n], out=dga[:, :n])
            xp.multiply(dcs, c_prev[:k], out=dga[:, n:2 * n])
            xp.multiply(dcs, a[:, :n], out=dga[:, 2 * n:3 * n])
            xp.multiply(dhs[:k], tcs[s, :k], out=dga[:, 3 * n:])
            dga *= d[s, :k]
            xp.multiply(dcs, a[:, n:2 * n], out=dc[:k])  # dc's other rows (finished sequences) pass straight through
            if k < b:
                dgates[s, k:] = 0
            dh = dgates[s] @ self.w_hh
            if k < b:
                dh[k:] = dhs[k:]
        return self._finish(dgates, dgates, dh, dc)


class GRULayer(_Recurrent):
    r"""Gates :math:`r, z = \sigma(x_t W_{i\cdot}^T + b_{i\cdot} + h_{t-1} W_{h\cdot}^T + b_{h\cdot})`,
    :math:`n = \tanh(x_t W_{in}^T + b_{in} + r \odot (h_{t-1} W_{hn}^T + b_{hn}))`,
    :math:`h_t = (1 - z) \odot n + z \odot h_{t-1}`."""

    def forward(self, x: Array, h0: Array, c0: None, w_ih: Array, w_hh: Array, b_ih: Array | None,
                b_hh: Array | None, reverse: bool = False, batch_sizes: Sequence[int] | None = None) -> Array:
        xw = self._setup(x, w_ih, w_hh, h0, reverse, b_ih, batch_sizes)
        t, b, g3 = xw.shape
        n, ks = g3 // 3, self.ks
        # h W_hh^T + b_hh per step: the n gate needs its hidden part on its own (zeros in the rows of finished
        # sequences, which the backward reads but does not use)
        hw = xp.empty_like(xw) if batch_sizes is None else xp.zeros_like(xw)
        hs = xp.empty((t, b, n), dtype=xw.dtype)
        tmp = xp.empty((b, n), dtype=xw.dtype)
        whh_t, h = xp.ascontiguousarray(w_hh.T), h0  # NOTE: a C-ordered W_hh^T: the per-step GEMM is ~15% faster
        for s in self._steps(t):
            k = ks[s]
            a, hws = xw[s, :k], hw[s, :k]
            xp.matmul(h[:k], whh_t, out=hws)
            if b_hh is not None:
                hws += b_hh
            rz = a[:, :2 * n]
            rz += hws[:, :2 * n]
            # NOTE: sigma(a) = 0.5 tanh(a / 2) + 0.5: never overflows
            rz *= 0.5
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            ng = a[:, 2 * n:]
            xp.multiply(a[:, :n], hws[:, 2 * n:], out=tmp[:k])
            ng += tmp[:k]
            xp.tanh(ng, out=ng)
            if k < b:
                hs[s, k:] = h[k:]  # finished sequences keep their state
            hn = hs[s, :k]
            xp.subtract(h[:k], ng, out=hn)
            hn *= a[:, n:2 * n]
            hn += ng
            h = hs[s]
        self.acts, self.hw, self.hs = xw, hw, hs
        return hs[0] if self.single else hs

    def backward(self, g: Array) -> Grads:
        acts = self.acts
        t, b, g3 = acts.shape
        n, ks = g3 // 3, self.ks
        gy = self._gy(g, t)
        r, z, ng = acts[..., :n], acts[..., n:2 * n], acts[..., 2 * n:]
        # NOTE: per-step factors that do not depend on the incoming gradient, for all steps at once:
        # dh -> dn_pre = (1 - z)(1 - n^2), dh -> dz_pre = (h_prev - n) z (1 - z), dn_pre -> dr_pre = hn r (1 - r)
        a_n = (1 - z) * (1 - ng * ng)
        a_z = (self._hprev() - ng) * (z * (1 - z))
        a_r = self.hw[..., 2 * n:] * (r * (1 - r))
        dgx, dgh = xp.empty_like(acts), xp.empty_like(acts)
        dh = xp.zeros_like(self.hs[0])
        for s in reversed(self._steps(t)):
            k = ks[s]
            gx, gh = dgx[s, :k], dgh[s, :k]
            dhs = gy[s] + dh
            da = dhs[:k]
            dn = gx[:, 2 * n:]
            xp.multiply(da, a_n[s, :k], out=dn)
            xp.multiply(da, a_z[s, :k], out=gx[:, n:2 * n])
            xp.multiply(dn, a_r[s, :k], out=gx[:, :n])
            gh[:, :2 * n] = gx[:, :2 * n]
            xp.multiply(dn, r[s, :k], out=gh[:, 2 * n:])
            if k < b:
                dgx[s, k:], dgh[s, k:] = 0, 0
            dh = dgh[s] @ self.w_hh
            da *= z[s, :k]
            dh += dhs  # a finished row (past k) passes its gradient straight through
        return self._finish(dgx, dgh, dh, None)
