"""The README's example runs and does what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_example_recovers_the_line(capsys):
    (code,) = _python_blocks()
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)
    assert abs(ns["w"].item() - 3) < 0.05 and abs(ns["b"].item() - 2) < 0.05
    printed = capsys.readouterr().out.strip()
    assert printed == f"y = {ns['w'].item():.2f} x + {ns['b'].item():.2f}"
    assert f"# {printed}" in code  # the comment in the README shows the real output


def test_example_script_output_matches_readme():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "linear_regression.py")], capture_output=True,
                         text=True, check=True).stdout
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"Output of `python examples/linear_regression.py`:\n\n```\n(.*?)```", readme, flags=re.S)
    assert shown is not None
    assert out == shown.group(1)
