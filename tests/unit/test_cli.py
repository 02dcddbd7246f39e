"""The command line: `chainrule train / evaluate / models / info`, and one-line errors for a user's mistakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli.main import main
from chainrule.train import History, load_checkpoint


def _train(tmp_path: Path, *extra: str) -> int:
    return main(["train", "--dataset", "blobs", "--epochs", "3", "--no-progress", "--out", str(tmp_path / "run"),
                 *extra])


def test_train_writes_checkpoint_history_and_reports_test_accuracy(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                                   ) -> None:
    assert _train(tmp_path) == 0
    out = capsys.readouterr().out
    acc = float(out.split("test accuracy ")[1].split("%")[0])
    assert acc > 90.0  # blobs are well separated: three epochs of an MLP suffice
    run = tmp_path / "run"
    assert {"model.npz", "best.npz", "last.npz", "history.csv", "history.json"} <= set(os.listdir(run))
    assert len((run / "history.csv").read_text().strip().splitlines()) == 1 + 3
    ck = load_checkpoint(run / "model.npz", restore_rng=False)
    assert "config" in ck["extra"]


def test_evaluate_reproduces_the_accuracy_train_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _train(tmp_path) == 0
    trained = capsys.readouterr().out.split("test accuracy ")[1].split("%")[0]
    assert main(["evaluate", "--checkpoint", str(tmp_path / "run" / "model.npz")]) == 0
    assert f"accuracy {trained}%" in capsys.readouterr().out


def test_same_seed_same_result_other_seed_differs(tmp_path: Path) -> None:
    weights = []
    for i, seed in enumerate(("1", "1", "2")):
        assert main(["train", "--dataset", "moons", "--epochs", "2", "--no-progress", "--seed", seed,
                     "--out", str(tmp_path / str(i))]) == 0
        weights.append(load_checkpoint(tmp_path / str(i) / "model.npz", restore_rng=False)["state_dict"])
    for k in weights[0]:
        np.testing.assert_array_equal(weights[0][k], weights[1][k])
    assert any(not np.array_equal(weights[0][k], weights[2][k]) for k in weights[0])


@pytest.mark.parametrize("scheduler", ["constant", "cosine", "onecycle"])
def test_scheduler_option_shapes_the_learning_rate(tmp_path: Path, scheduler: str) -> None:
    assert _train(tmp_path, "--epochs", "4", "--lr", "0.01", "--scheduler", scheduler) == 0
    lrs = History.load(tmp_path / "run" / "history.json")["lr"]  # the rate in force during each epoch
    assert len(lrs) == 4
    if scheduler == "constant":
        assert lrs == [0.01] * 4
    elif scheduler == "cosine":  # 0.01 at the start, annealed towards 0
        assert lrs[0] == pytest.approx(0.01) and all(a > b for a, b in zip(lrs, lrs[1:])) and lrs[-1] > 0
    else:  # warm-up from 0.01 / 25, then annealed
        assert lrs[0] < 0.01 / 2 and max(lrs) > lrs[0] and lrs[-1] < max(lrs)
    config = json.loads(load_checkpoint(tmp_path / "run" / "model.npz", restore_rng=False)["extra"]["config"])
    assert config["scheduler"] == scheduler


def test_mnist1d_default_is_the_papers_protocol(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # all 4,000 training signals, no validation split (a short run: the header line is what is checked)
    assert main(["train", "--epochs", "1", "--no-progress", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "mnist1d_cnn" in out and "4000 train / 0 validation / 1000 test samples" in out
    assert "s CPU)" in out


def test_models_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "*regression"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.strip().splitlines()]
    assert names == ["linear_regression", "logistic_regression", "softmax_regression"]


@pytest.mark.parametrize("args,code,message", [
    (["train", "--model", "mpl"], 1, "unknown model 'mpl'; did you mean 'mlp'?"),
    (["train", "--dataset", "fashoin_mnist"], 1, "did you mean 'fashion_mnist'"),
    (["train", "--val-fraction", "1.5"], 2, "--val-fraction must be in [0, 1), got 1.5"),
    (["train", "--weight-decay", "-1"], 2, "--weight-decay must be non-negative, got -1.0"),
    (["models", "zzz*"], 2, "no model matches 'zzz*'"),
])
def test_mistakes_get_one_line_and_a_nonzero_exit(args: list[str], code: int, message: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == code
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_unknown_dataset_makes_no_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "fashoin_mnist"]) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("value", ["-0.1", "0", "abc"])
def test_bad_learning_rate_is_refused_by_the_parser(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["train", "--lr", value])
    assert e.value.code == 2
    assert "argument --lr" in capsys.readouterr().err


def test_unknown_scheduler_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["train", "--scheduler", "linear"])
    assert e.value.code == 2
    assert "argument --scheduler: invalid choice: 'linear'" in capsys.readouterr().err


def test_unwritable_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["train", "--dataset", "blobs", "--out", str(blocker / "run")]) == 2
    assert "cannot write to the output folder" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04truncated"])
def test_corrupted_checkpoint(tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    assert main(["evaluate", "--checkpoint", str(path)]) != 0
    err = capsys.readouterr().err.strip()
    assert str(path) in err and len(err.splitlines()) == 1


def test_missing_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--checkpoint", str(tmp_path / "nope.npz")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err


def test_console_entry_point_help_everywhere() -> None:
    for sub in ([], ["train"], ["evaluate"], ["models"], ["info"]):
        r = subprocess.run([sys.executable, "-m", "chainrule", *sub, "--help"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0 and "usage: chainrule" in r.stdout


def test_threads_default_per_dataset_and_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Small sets train on one BLAS thread unless --threads says otherwise; the training line says how many."""
    from threadpoolctl import threadpool_info

    import chainrule

    try:
        assert _train(tmp_path) == 0
        assert ", 1 BLAS thread\n" in capsys.readouterr().out
        assert chainrule.get_num_threads() == 1
        assert _train(tmp_path, "--threads", "2") == 0
        assert ", 2 BLAS threads\n" in capsys.readouterr().out
        assert chainrule.get_num_threads() == 2
        blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
        assert all(p["num_threads"] == 2 for p in blas)
    finally:
        chainrule.set_num_threads(1)  # the suite runs one BLAS thread per worker (conftest)
    with pytest.raises(SystemExit) as e:
        main(["train", "--threads", "0"])
    assert e.value.code == 2 and "argument --threads" in capsys.readouterr().err
