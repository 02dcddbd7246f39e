"""The ``chainrule.xxx(t)`` spellings of the pointwise functions of :mod:`chainrule.ops.special` (inverse
trigonometric and hyperbolic functions, atan2, hypot, fmod, logit, xlogy, logaddexp); ``remainder`` is in
:mod:`.functions`. Each is ``t.xxx(...)``, with a number as the first argument made a tensor."""

from __future__ import annotations

from .functions import _method

__all__ = ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh",
           "arccosh", "arctanh", "atan2", "arctan2", "hypot", "fmod", "logit", "xlogy", "logaddexp"]

asin = _method("asin")
acos = _method("acos")
atan = _method("atan")
sinh = _method("sinh")
cosh = _method("cosh")
asinh = _method("asinh")
acosh = _method("acosh")
atanh = _method("atanh")
arcsin = _method("arcsin")
arccos = _method("arccos")
arctan = _method("arctan")
arcsinh = _method("arcsinh")
arccosh = _method("arccosh")
arctanh = _method("arctanh")
atan2 = _method("atan2")
arctan2 = _method("arctan2")
hypot = _method("hypot")
fmod = _method("fmod")
logit = _method("logit")
xlogy = _method("xlogy")
logaddexp = _method("logaddexp")
