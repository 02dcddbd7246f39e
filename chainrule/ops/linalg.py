"""Matrix products: matmul (1-D, 2-D, batched with broadcast batch dimensions) and einsum."""

from __future__ import annotations

import string
from typing import Any

from ..autograd.function import Primitive
from ..backend import xp

Array = Any


class MatMul(Primitive):
    """``a @ b`` with NumPy/PyTorch semantics: 1-D operands are promoted to a row / column and squeezed back."""

    def forward(self, a: Array, b: Array) -> Array:
        need = self.needs_input_grad
        self.a = a if need[1] else None
        self.b = b if need[0] else None
        self.a_nd, self.b_nd = a.ndim, b.ndim
        return a @ b

    def backward(self, g: Array) -> tuple[Array | None, Array | None]:
        a, b = self.a, self.b
        if self.a_nd == 1 and self.b_nd == 1:  # dot product: g is a scalar
            return (g * b if b is not None else None), (g * a if a is not None else None)
        if self.a_nd == 1:
            g = g[..., None, :]
            a = a[None, :] if a is not None else None
        if self.b_nd == 1:
            g = g[..., None]
            b = b[:, None] if b is not None else None
        ga = gb = None
        if b is not None:  # dL/dA = G B^T
            ga = g @ xp.swapaxes(b, -1, -2)
            if self.a_nd == 1:
                ga = ga[..., 0, :]
        if a is not None:  # dL/dB = A^T G
            gb = xp.swapaxes(a, -1, -2) @ g
            if self.b_nd == 1:
                gb = gb[..., 0]
        return ga, gb


def parse_einsum(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Spell out an einsum equation: ellipses become explicit letters and an implicit output is made explicit
    (the letters that occur once, in alphabetical order). Returns the input subscripts and the output's."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum(): the equation {equation!r} has {len(ins)} operands but {len(shapes)} were given")
    used = set(eq) - set(".,->")
    free = [c for c in string.ascii_letters if c not in used]
    ell_nd = max((len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub), default=0)
    ell = "".join(free[:ell_nd])
    spelled = []
    for sub, s in zip(ins, shapes):
        if "..." in sub:
            n = len(s) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_nd - n:] if n else "")
        if len(sub) != len(s):
            raise ValueError(f"einsum(): the subscript {sub!r} has {len(sub)} letters but its operand has shape "
                             f"{tuple(s)}")
        spelled.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {c: "".join(spelled).count(c) for c in set("".join(spelled))}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return spelled, out


class Einsum(Primitive):
    """Einstein summation. The gradient of operand i is itself an einsum of the output gradient with the other
    operands; letters that appear only in operand i were summed there, so the gradient is broadcast over them."""

    def forward(self, *arrays: Array, subs: tuple[str, ...], out: str) -> Array:
        self.arrays, self.subs, self.out = arrays, subs, out
        return xp.asarray(xp.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 2))

    def backward(self, g: Array) -> tuple[Array | None, ...]:
        res: list[Array | None] = []
        # NOTE: a letter's size is its largest over the operands: a size-1 operand dimension broadcasts, and its
        # gradient keeps the broadcast size here (the engine sums it back to 1)
        sizes: dict[str, int] = {}
        for sub, a in zip(self.subs, self.arrays):
            for c, n in zip(sub, a.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        for i, sub in enumerate(self.subs):
            if not self.needs_input_grad[i]:
                res.append(None)
                continue
            others = [(s, x) for j, (s, x) in enumerate(zip(self.subs, self.arrays)) if j != i]
            avail = set(self.out).union(*[set(s) for s, _ in others])
            uniq = "".join(dict.fromkeys(c for c in sub if c in avail))
            eq = ",".join([self.out] + [s for s, _ in others]) + "->" + uniq
            gi = xp.einsum(eq, g, *[x for _, x in others], optimize=len(others) > 1)
            full_letters = "".join(dict.fromkeys(sub))  # uniq is a subsequence of it, in the same order
            # letters only in this operand: summed away in forward, so broadcast the gradient over them (and over a
            # letter that every other operand had as size 1)
            dims = iter(gi.shape)
            shape = [next(dims) if c in uniq else 1 for c in full_letters]
            gi = xp.broadcast_to(gi.reshape(shape), [sizes[c] for c in full_letters])
            if len(full_letters) != len(sub):  # a repeated letter (a diagonal): write into the diagonal
                z = xp.zeros([sizes[c] for c in sub], dtype=g.dtype)
                diag = xp.einsum(sub + "->" + full_letters, z)
                diag[...] = gi
                gi = z
            res.append(gi)
        return tuple(res)
