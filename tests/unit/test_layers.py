"""The import direction of DESIGN.md: every chainrule module imports only from layers below its own.

cli > train > models > (data | serialization) > (optim | utils) > nn > tensor > ops > autograd > backend
  > (helpers | dtypes | random)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "chainrule"

# rank of each top-level part; equal ranks are siblings that must not import each other
RANK = {
    "helpers": 0, "dtypes": 0, "random": 0,
    "backend": 1, "cuda": 1,
    "autograd": 2,
    "ops": 3,
    "tensor": 4,
    "nn": 5,
    "optim": 6, "utils": 6, "vision": 6,
    "data": 6.5,  # chainrule.data re-exports chainrule.utils.data (its home), so it sits just above utils
    "serialization": 6.5,  # save/load: tensors, and utils.io's atomic writes; train's checkpoints build on it
    "models": 7, "datasets": 7,  # datasets build on utils.data (Dataset, TensorDataset)
    "train": 8,
    "cli": 9,
}
FACADES = {"__init__", "__main__"}  # chainrule/__init__.py re-exports; __main__ runs the CLI


def _part(module: str) -> str | None:
    bits = module.split(".")
    return bits[1] if bits[0] == "chainrule" and len(bits) > 1 else None


def _imports(path: Path, root: Path = PKG.parent) -> list[tuple[str, int]]:
    """Absolute chainrule module names imported by ``path`` (under ``root``) with their line numbers."""
    rel = path.relative_to(root).with_suffix("")
    pkg_parts = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("chainrule")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                if not node.module:  # from .. import x: each name may be a submodule
                    out += [(mod + "." + a.name, node.lineno) for a in node.names]
                    continue
            else:
                mod = node.module or ""
            if mod.startswith("chainrule"):
                out.append((mod, node.lineno))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py"))


def test_every_part_has_a_rank():
    parts = {p.relative_to(PKG).parts[0].removesuffix(".py") for p in _modules()}
    assert parts - FACADES - {"py"} <= set(RANK), f"parts without a layer: {parts - FACADES - set(RANK)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_downward(path: Path):
    own = path.relative_to(PKG).parts[0].removesuffix(".py")
    if own in FACADES:
        return
    bad = []
    for mod, line in _imports(path):
        other = _part(mod)
        if other is None or other == own or other in FACADES:
            continue
        if RANK[other] >= RANK[own]:
            bad.append(f"line {line}: {own} (layer {RANK[own]}) imports {mod} (layer {RANK[other]})")
    assert not bad, "\n".join(bad)


def test_checker_catches_an_upward_import(tmp_path):
    """The checker itself can fail: an ops module importing the tensor layer is reported."""
    fake = tmp_path / "chainrule" / "ops" / "probe.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("import numpy\nfrom ..tensor import Tensor\n")
    mods = _imports(fake, tmp_path)
    assert mods == [("chainrule.tensor", 2)]
    assert RANK[_part(mods[0][0])] > RANK["ops"]
