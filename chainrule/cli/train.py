"""``chainrule train``, ``chainrule evaluate`` and ``chainrule models``: a model from the zoo trained on a dataset by
name, with a progress bar, a checkpoint, the curves and the test accuracy at the end.

Plain ``chainrule train`` trains a shift-invariant CNN (``mnist1d_cnn_bn``) on MNIST-1D (generated locally: no
download).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import time
from typing import Any

import numpy as np

import chainrule

from .. import datasets, models, nn, optim
from .. import train as tr
from ..utils.data import DataLoader, TensorDataset, random_split
from ..utils.data import transforms as T

# per dataset: the default model and epochs of plain ``chainrule train --dataset NAME``
DEFAULTS: dict[str, dict[str, Any]] = {
    # the paper's protocol (all 4,000 training signals, the final model); the shift-invariant CNN's recipe was picked
    # on a 3,600 / 400 validation split (tests/training/test_accuracy.py): ~98 % test accuracy in ~10 s CPU
    "mnist1d": {"model": "mnist1d_cnn_bn", "epochs": 30, "scheduler": "cosine", "val_fraction": 0.0, "threads": 1},
    "fashion_mnist": {"model": "simple_cnn", "epochs": 5},
    "mnist": {"model": "simple_cnn", "epochs": 3},
    "digits": {"model": "mlp", "epochs": 30, "threads": 1},
}
# NOTE: the small sets' matrix products are too small to split: a second BLAS thread only spins, and on a busy machine
# spinning threads made the MNIST-1D default run 5-10x slower (measured: 97 s CPU with 2 threads, 10 s with 1)
SMALL_DATA_THREADS = 1
SYNTHETIC_EPOCHS = 50
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop,
              "adagrad": optim.Adagrad, "adadelta": optim.Adadelta, "adamax": optim.Adamax, "nadam": optim.NAdam,
              "radam": optim.RAdam}
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-2, "adamw": 1e-2, "rmsprop": 1e-3, "adagrad": 1e-2, "adadelta": 1.0,
              "adamax": 2e-3, "nadam": 2e-3, "radam": 1e-3}
AUGMENTATIONS = ("flip", "crop", "noise", "cutout")
# learning-rate schedules over the whole run, stepped after every batch
SCHEDULERS = ("constant", "cosine", "onecycle")


class CLIError(Exception):
    """A problem with the user's request: printed as one line, exit code 2."""


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def add_parsers(sub: Any) -> None:
    """Register ``train``, ``evaluate`` and ``models`` on the subcommand parser ``sub``."""
    p = sub.add_parser("train", help="train a model from the zoo on a dataset",
                       description="Train a registered model on a dataset, checkpoint it and report the test "
                       "accuracy. Plain `chainrule train` trains a CNN on MNIST-1D (generated locally).")
    p.add_argument("--model", help="a registered model (`chainrule models` lists them); default: the dataset's")
    p.add_argument("--dataset", default="mnist1d", help=f"one of {', '.join(datasets.list_datasets())} "
                   "(default: mnist1d)")
    p.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS), help="default: adam")
    p.add_argument("--lr", type=_positive(float), help="learning rate (default: per optimizer, adam 0.01)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD/RMSprop momentum (default: 0.9)")
    p.add_argument("--weight-decay", type=float, default=0.0, help="default: 0")
    p.add_argument("--epochs", type=_positive(int), help="default: per dataset (mnist1d: {})".format(
        DEFAULTS["mnist1d"]["epochs"]))
    p.add_argument("--scheduler", choices=SCHEDULERS, help="learning-rate schedule, stepped every batch: constant, "
                   "cosine (annealed to 0 over the run) or onecycle (warm-up to --lr, then annealed; Smith & Topin "
                   "2018) (default: per dataset: cosine for mnist1d, else constant)")
    p.add_argument("--batch-size", type=_positive(int), default=100, help="default: 100")
    p.add_argument("--val-fraction", type=float, help="share of the training set held out for validation and "
                   "model selection (default: per dataset: 0 for mnist1d, the paper's protocol; else 0.1)")
    p.add_argument("--patience", type=_positive(int), help="early stopping on val_loss after this many epochs "
                   "without improvement (default: off)")
    p.add_argument("--augment", nargs="*", default=[], choices=AUGMENTATIONS, metavar="AUG",
                   help=f"training-set augmentation for images: {', '.join(AUGMENTATIONS)}")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--threads", type=_positive(int), help="BLAS threads for the matrix products (default: per dataset: "
                   "1 for MNIST-1D, digits and the synthetic sets, whose products are too small to split; else all "
                   "cores)")
    p.add_argument("--out", default=None, help="output folder (default: runs/<model>-<dataset>)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)

    p = sub.add_parser("evaluate", help="evaluate a checkpoint written by `chainrule train` on its test set",
                       description="Rebuild the model a checkpoint was trained as, load its weights and report the "
                       "test loss and accuracy.")
    p.add_argument("--checkpoint", required=True, help="a .npz checkpoint written by `chainrule train`")
    p.add_argument("--batch-size", type=_positive(int), default=500, help="default: 500")
    p.set_defaults(func=run_evaluate)

    p = sub.add_parser("models", help="list the registered models", description="List the registered models.")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style filter, e.g. 'resnet*'")
    p.set_defaults(func=run_models)


# ----------------------------------------------------------------- pieces
def _load(dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The train and test arrays of ``dataset`` as float32 inputs and int64 labels."""
    if dataset.lower().replace("-", "_") not in datasets.list_datasets():
        datasets.get_dataset(dataset)  # raises the ValueError with suggestions
    train_set, test_set = datasets.get_dataset(dataset, "train"), datasets.get_dataset(dataset, "test")
    out: list[np.ndarray] = []
    for ds in (train_set, test_set):
        if isinstance(ds, datasets.ArrayDataset):
            out += ds.arrays()
        elif isinstance(ds, datasets.SyntheticDataset):
            out += [ds.data.astype(np.float32), ds.targets]
        else:
            raise CLIError(f"dataset {dataset!r} does not hold its samples as arrays")
    return out[0], out[1].astype(np.int64), out[2], out[3].astype(np.int64)


def _model_kwargs(name: str, x: np.ndarray, num_classes: int) -> dict[str, Any]:
    """The size arguments that ``name``'s builder takes, read off the data."""
    params = inspect.signature(models.model_entrypoint(name)).parameters
    kw: dict[str, Any] = {}
    if "num_classes" in params:
        kw["num_classes"] = num_classes
    if "in_features" in params:
        kw["in_features"] = int(np.prod(x.shape[1:]))
    if "in_channels" in params:
        kw["in_channels"] = x.shape[1] if x.ndim >= 3 else 1
    if "input_size" in params and x.ndim == 4:
        kw["input_size"] = x.shape[-1]
    return kw


def _augmentation(names: list[str], x: np.ndarray) -> Any:
    if not names:
        return None
    if x.ndim != 4:
        raise CLIError(f"--augment works on images (N, C, H, W); this dataset's inputs are {x.shape[1:]}")
    h = x.shape[-1]
    steps: dict[str, Any] = {"flip": T.RandomHorizontalFlip(), "crop": T.RandomCrop(h, padding=max(1, h // 7)),
             "noise": T.GaussianNoise(0.0, 0.05), "cutout": T.Cutout(max(1, h // 4))}
    return T.Compose([steps[n] for n in names])


def _scheduler(name: str, opt: optim.Optimizer, lr: float, total_steps: int) -> Any:
    """The ``--scheduler`` ``name`` over ``total_steps`` batches (None for a constant rate)."""
    if name == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
    if name == "onecycle":
        return optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total_steps)
    return None


class _Augmented(TensorDataset):
    """A TensorDataset whose inputs go through ``transform`` one sample at a time."""

    def __init__(self, x: Any, y: Any, transform: Any) -> None:
        super().__init__(x, y)
        self.transform = transform

    def __getitem__(self, i: Any) -> tuple[Any, Any]:
        x, y = super().__getitem__(i)
        return self.transform(x), y


# ----------------------------------------------------------------- commands
def run_train(args: argparse.Namespace) -> int:
    """Train, checkpoint, plot and report; returns the exit code."""
    key = args.dataset.lower().replace("-", "_")
    defaults = DEFAULTS.get(key, {"model": "mlp", "epochs": SYNTHETIC_EPOCHS, "threads": SMALL_DATA_THREADS})
    model_name = args.model or defaults["model"]
    models.model_entrypoint(model_name)  # an unknown name fails before any data is made
    if key not in datasets.list_datasets():
        datasets.get_dataset(args.dataset)  # raises the ValueError with suggestions, before any folder is made
    epochs = args.epochs or defaults["epochs"]
    lr = args.lr or DEFAULT_LR[args.optimizer]
    schedule = args.scheduler or defaults.get("scheduler", "constant")
    threads = args.threads or defaults.get("threads")
    if threads:
        chainrule.set_num_threads(threads)
    val_fraction = defaults.get("val_fraction", 0.1) if args.val_fraction is None else args.val_fraction
    if not 0 <= val_fraction < 1:
        raise CLIError(f"--val-fraction must be in [0, 1), got {val_fraction}")
    if args.weight_decay < 0:
        raise CLIError(f"--weight-decay must be non-negative, got {args.weight_decay}")
    out = args.out or os.path.join("runs", f"{model_name}-{key}")
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".write-test")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as e:
        raise CLIError(f"cannot write to the output folder {out!r}: {e.strerror or e}") from None

    chainrule.manual_seed(args.seed)
    np.random.seed(args.seed)
    t0, c0 = time.perf_counter(), time.process_time()
    x_train, y_train, x_test, y_test = _load(args.dataset)
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    model_kw = _model_kwargs(model_name, x_train, num_classes)
    model = models.create_model(model_name, **model_kw)
    n_params = sum(p.numel() for p in model.parameters())

    gen = chainrule.Generator().manual_seed(args.seed)
    full = TensorDataset(chainrule.from_numpy(x_train), chainrule.from_numpy(y_train))
    n_val = int(round(len(full) * val_fraction))
    train_part, val_part = random_split(full, [len(full) - n_val, n_val], generator=gen) if n_val else (full, None)
    augment = _augmentation(args.augment, x_train)
    if augment is not None:
        idx = np.asarray(train_part.indices) if hasattr(train_part, "indices") else np.arange(len(full))
        train_part = _Augmented(chainrule.from_numpy(x_train[idx]), chainrule.from_numpy(y_train[idx]), augment)
    train_loader = DataLoader(train_part, batch_size=args.batch_size, shuffle=True, generator=gen)
    val_loader = DataLoader(val_part, batch_size=500) if val_part is not None else None
    test_loader = DataLoader(TensorDataset(chainrule.from_numpy(x_test), chainrule.from_numpy(y_test)),
                             batch_size=500)

    kw: dict[str, Any] = {"lr": lr, "weight_decay": args.weight_decay}
    if args.optimizer in ("sgd", "rmsprop"):
        kw["momentum"] = args.momentum
    opt = OPTIMIZERS[args.optimizer](model.parameters(), **kw)
    monitor = "val_loss" if val_loader is not None else "loss"
    checkpoint = tr.ModelCheckpoint(out, filename="best", monitor=monitor, save_best_only=True, save_last=True)
    callbacks: list[tr.Callback] = [tr.History(), checkpoint]
    scheduler = _scheduler(schedule, opt, lr, epochs * len(train_loader))
    if scheduler is not None:
        callbacks.append(tr.LRSchedulerCallback(scheduler, interval="batch"))
    if args.patience:
        callbacks.append(tr.EarlyStopping(monitor=monitor, patience=args.patience, restore_best_weights=True))
    if not args.no_progress:
        callbacks.append(tr.ProgressBar())
    print(f"training {model_name} ({n_params:,} parameters) on {key}: {len(train_part)} train / "
          f"{n_val} validation / {len(y_test)} test samples, {args.optimizer} lr {lr:g}, batch {args.batch_size}, "
          f"{epochs} epochs" + (f", {schedule} schedule" if scheduler is not None else "") +
          (f", {threads} BLAS thread{'s' if threads > 1 else ''}" if threads else ""), flush=True)
    history = tr.fit(model, nn.CrossEntropyLoss(), opt, train_loader, val_loader, epochs=epochs,
                     callbacks=callbacks, metrics=("accuracy",), verbose=False)
    train_time, train_cpu = time.perf_counter() - t0, time.process_time() - c0

    if checkpoint.best_model_path and val_loader is not None:  # model selection on the validation set
        tr.load_checkpoint(checkpoint.best_model_path, model, restore_rng=False)
    result = tr.evaluate(model, test_loader, nn.CrossEntropyLoss(), metrics=("accuracy",))
    config = {"model": model_name, "model_kwargs": model_kw, "dataset": key, "seed": args.seed, "epochs": epochs,
              "optimizer": args.optimizer, "lr": lr, "scheduler": schedule, "batch_size": args.batch_size,
              "test_accuracy": result["accuracy"], "test_loss": result["loss"]}
    final = os.path.join(out, "model.npz")
    tr.save_checkpoint(final, model, epoch=len(history.epoch), extra={"config": json.dumps(config)})
    history.to_csv(os.path.join(out, "history.csv"))
    history.to_json(os.path.join(out, "history.json"))
    plotted = ""
    try:
        tr.plot_history(history, os.path.join(out, "curves.png"))
        plotted = ", curves.png"
    except ImportError:
        pass
    print(f"test accuracy {result['accuracy']:.2%}  (test loss {result['loss']:.4f}; {train_time:.0f} s, "
          f"{train_cpu:.0f} s CPU)")
    print(f"saved {final}, history.csv{plotted} in {out}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Rebuild the checkpoint's model, load it and evaluate it on its dataset's test split."""
    path = args.checkpoint
    if not os.path.isfile(path):
        raise CLIError(f"no checkpoint at {path!r}")
    ck = tr.load_checkpoint(path, restore_rng=False)
    extra = ck.get("extra") or {}
    if "config" not in extra:
        raise CLIError(f"{path} was not written by `chainrule train` (it holds no model configuration)")
    config = json.loads(extra["config"])
    model = models.create_model(config["model"], **config["model_kwargs"])
    model.load_state_dict({k: chainrule.from_numpy(v) for k, v in ck["state_dict"].items()})
    _, _, x_test, y_test = _load(config["dataset"])
    loader = DataLoader(TensorDataset(chainrule.from_numpy(x_test), chainrule.from_numpy(y_test)),
                        batch_size=args.batch_size)
    result = tr.evaluate(model, loader, nn.CrossEntropyLoss(), metrics=("accuracy",))
    print(f"{config['model']} on {config['dataset']} test: accuracy {result['accuracy']:.2%}, "
          f"loss {result['loss']:.4f} ({len(y_test)} samples)")
    return 0


def run_models(args: argparse.Namespace) -> int:
    """Print the registered models matching the pattern, one per line."""
    names = models.list_models(args.pattern)
    if not names:
        raise CLIError(f"no model matches {args.pattern!r}")
    for name in names:
        doc = (inspect.getdoc(models.model_entrypoint(name)) or "").split("\n")[0]
        print(f"{name:<24} {doc}")
    return 0
