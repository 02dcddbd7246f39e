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
"""

from __future__ import annotations

from typing import Any

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

    def _setup(self, x: Array, w_ih: Array, w_hh: Array, h0: Array, reverse: bool, bias: Array | None) -> Array:
        """Save what every backward needs; return the projected input ``x W_ih^T + bias`` of shape (T, B, G*H)."""
        self.single = x.ndim == 2
        x = x[None] if self.single else x
        t, b, i = x.shape
        self.x, self.w_ih, self.w_hh, self.h0, self.reverse = x, w_ih, w_hh, h0, reverse
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
                b_hh: Array | None, reverse: bool = False, nonlinearity: str = "tanh") -> Array:
        xw = self._setup(x, w_ih, w_hh, h0, reverse, _bias_sum(b_ih, b_hh))
        self.relu = nonlinearity == "relu"
        hs = xp.empty(xw.shape, dtype=xw.dtype)
        whh_t, h = xp.ascontiguousarray(w_hh.T), h0  # NOTE: a C-ordered W_hh^T: the per-step GEMM is ~15% faster
        for s in self._steps(xw.shape[0]):
            a = hs[s]
            xp.matmul(h, whh_t, out=a)
            a += xw[s]
            if self.relu:
                xp.maximum(a, 0, out=a)
            else:
                xp.tanh(a, out=a)
            h = a
        self.hs = hs
        return hs[0] if self.single else hs

    def backward(self, g: Array) -> Grads:
        hs = self.hs
        gy = self._gy(g, hs.shape[0])
        # NOTE: the activation's derivative from its output, for all steps at once: 1 - h^2, or [h > 0] for ReLU
        d = (hs > 0).astype(hs.dtype) if self.relu else 1 - hs * hs
        dg = xp.empty_like(hs)
        dh = xp.zeros_like(hs[0])
        for s in reversed(self._steps(hs.shape[0])):
            xp.multiply(gy[s] + dh, d[s], out=dg[s])
            dh = dg[s] @ self.w_hh
        return self._finish(dg, dg, dh, None)


class LSTMLayer(_Recurrent):
    r"""Gates :math:`(i, f, g, o) = (\sigma, \sigma, \tanh, \sigma)(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})`,
    :math:`c_t = f \odot c_{t-1} + i \odot g`, :math:`h_t = o \odot \tanh(c_t)`. Returns (T + 1, B, H): the h_t, then
    the last c."""

    def forward(self, x: Array, h0: Array, c0: Array, w_ih: Array, w_hh: Array, b_ih: Array | None,
                b_hh: Array | None, reverse: bool = False) -> Array:
        xw = self._setup(x, w_ih, w_hh, h0, reverse, _bias_sum(b_ih, b_hh))
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
        cs, tcs = xp.empty((t, b, n), dtype=xw.dtype), xp.empty((t, b, n), dtype=xw.dtype)
        buf, tmp = xp.empty((b, g4), dtype=xw.dtype), xp.empty((b, n), dtype=xw.dtype)
        h, c = h0, c0
        for s in self._steps(t):
            a = xw[s]
            xp.matmul(h, whh_t, out=buf)
            a += buf
            xp.tanh(a, out=a)
            a *= scale
            a += shift
            cn = cs[s]
            xp.multiply(a[:, n:2 * n], c, out=cn)
            xp.multiply(a[:, :n], a[:, 2 * n:3 * n], out=tmp)
            cn += tmp
            xp.tanh(cn, out=tcs[s])
            xp.multiply(a[:, 3 * n:], tcs[s], out=out[s])
            h, c = out[s], cn
        out[t] = c
        self.acts, self.cs, self.tcs, self.c0, self.hs = xw, cs, tcs, c0, out
        return out

    def backward(self, g: Array) -> Grads:
        acts, cs, tcs = self.acts, self.cs, self.tcs
        t, _, g4 = acts.shape
        n = g4 // 4
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
            a, dga = acts[s], dgates[s]
            dhs = gy[s] + dh
            dcs = dhs * p[s]
            dcs += dc
            if self.reverse:
                c_prev = cs[s + 1] if s + 1 < t else self.c0
            else:
                c_prev = cs[s - 1] if s > 0 else self.c0
            xp.multiply(dcs, a[:, 2 * n:3 * n], out=dga[:, :n])
            xp.multiply(dcs, c_prev, out=dga[:, n:2 * n])
            xp.multiply(dcs, a[:, :n], out=dga[:, 2 * n:3 * n])
            xp.multiply(dhs, tcs[s], out=dga[:, 3 * n:])
            dga *= d[s]
            dc = dcs * a[:, n:2 * n]
            dh = dga @ self.w_hh
        return self._finish(dgates, dgates, dh, dc)


class GRULayer(_Recurrent):
    r"""Gates :math:`r, z = \sigma(x_t W_{i\cdot}^T + b_{i\cdot} + h_{t-1} W_{h\cdot}^T + b_{h\cdot})`,
    :math:`n = \tanh(x_t W_{in}^T + b_{in} + r \odot (h_{t-1} W_{hn}^T + b_{hn}))`,
    :math:`h_t = (1 - z) \odot n + z \odot h_{t-1}`."""

    def forward(self, x: Array, h0: Array, c0: None, w_ih: Array, w_hh: Array, b_ih: Array | None,
                b_hh: Array | None, reverse: bool = False) -> Array:
        xw = self._setup(x, w_ih, w_hh, h0, reverse, b_ih)
        t, b, g3 = xw.shape
        n = g3 // 3
        hw = xp.empty_like(xw)  # h W_hh^T + b_hh per step: the n gate needs its hidden part on its own
        hs = xp.empty((t, b, n), dtype=xw.dtype)
        tmp = xp.empty((b, n), dtype=xw.dtype)
        whh_t, h = xp.ascontiguousarray(w_hh.T), h0  # NOTE: a C-ordered W_hh^T: the per-step GEMM is ~15% faster
        for s in self._steps(t):
            a, hws = xw[s], hw[s]
            xp.matmul(h, whh_t, out=hws)
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
            xp.multiply(a[:, :n], hws[:, 2 * n:], out=tmp)
            ng += tmp
            xp.tanh(ng, out=ng)
            hn = hs[s]
            xp.subtract(h, ng, out=hn)
            hn *= a[:, n:2 * n]
            hn += ng
            h = hn
        self.acts, self.hw, self.hs = xw, hw, hs
        return hs[0] if self.single else hs

    def backward(self, g: Array) -> Grads:
        acts = self.acts
        t, _, g3 = acts.shape
        n = g3 // 3
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
            gx, gh = dgx[s], dgh[s]
            dhs = gy[s] + dh
            dn = gx[:, 2 * n:]
            xp.multiply(dhs, a_n[s], out=dn)
            xp.multiply(dhs, a_z[s], out=gx[:, n:2 * n])
            xp.multiply(dn, a_r[s], out=gx[:, :n])
            gh[:, :2 * n] = gx[:, :2 * n]
            xp.multiply(dn, r[s], out=gh[:, 2 * n:])
            dh = gh @ self.w_hh
            dhs *= z[s]
            dh += dhs
        return self._finish(dgx, dgh, dh, None)
