"""models/mnist1d.py: the shift-invariant CNN against a PyTorch twin (count, outputs, gradients, running statistics),
its exact invariance to circular shifts, the RandomShift1d augmentation layer and the shift-augmented MLP."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import models
from chainrule.models import ConvNet1dBN, RandomShift1d


def _count(m: cr.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _torch_twin(channels: int = 32, padding_mode: str = "circular") -> torch.nn.Sequential:
    layers: list[torch.nn.Module] = []
    width = 1
    for i, k in enumerate((5, 3, 3)):
        layers += [torch.nn.Conv1d(width, channels, k, padding=k // 2, bias=False, padding_mode=padding_mode),
                   torch.nn.BatchNorm1d(channels), torch.nn.ReLU()]
        if i < 2:
            layers.append(torch.nn.MaxPool1d(2))
        width = channels
    layers += [torch.nn.AdaptiveMaxPool1d(1), torch.nn.Flatten(), torch.nn.Linear(channels, 10)]
    return torch.nn.Sequential(*layers).double()


def test_count_by_formula() -> None:
    net = models.create_model("mnist1d_cnn_bn")
    # conv 1->32 k5, conv 32->32 k3 twice (no bias); three BatchNorms (weight, bias); linear 32 -> 10
    assert _count(net) == 32 * 5 + 2 * 32 * 32 * 3 + 3 * 2 * 32 + 32 * 10 + 10 == 6826
    assert _count(models.create_model("mnist1d_cnn_bn", channels=16, num_classes=5)) == \
        16 * 5 + 2 * 16 * 16 * 3 + 3 * 2 * 16 + 16 * 5 + 5


@pytest.mark.parametrize("padding_mode", ["circular", "zeros"])
def test_outputs_gradients_and_running_stats_match_torch(padding_mode: str) -> None:
    net = models.create_model("mnist1d_cnn_bn", padding_mode=padding_mode).double()
    ref = _torch_twin(padding_mode=padding_mode)
    ours = list(net.parameters())
    assert [tuple(p.shape) for p in ours] == [tuple(q.shape) for q in ref.parameters()]
    with torch.no_grad():
        for q, p in zip(ref.parameters(), ours):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((6, 40))
    target = np.array([0, 1, 2, 3, 4, 5])
    # training mode: batch statistics, gradients of the cross-entropy
    out = net(cr.tensor(x))
    cr.nn.functional.cross_entropy(out, cr.tensor(target)).backward()
    t_out = ref(torch.from_numpy(x).unsqueeze(1))
    torch.nn.functional.cross_entropy(t_out, torch.from_numpy(target)).backward()
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-9, atol=1e-10)
    for p, q in zip(ours, ref.parameters()):
        assert p.grad is not None and q.grad is not None
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-7, atol=1e-10)
    # evaluation mode: the running statistics the training forward left behind
    net.eval()
    ref.eval()
    np.testing.assert_allclose(net(cr.tensor(x)).detach().numpy(),
                               ref(torch.from_numpy(x).unsqueeze(1)).detach().numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 40), (3, 1, 40), (2, 1, 64), (1, 1, 7)])
def test_shapes(shape: tuple[int, ...]) -> None:
    net = models.create_model("mnist1d_cnn_bn")
    net.eval()
    assert tuple(net(cr.randn(*shape)).shape) == (shape[0], 10)
    multi = models.create_model("mnist1d_cnn_bn", in_channels=3, num_classes=4)
    assert tuple(multi(cr.randn(2, 3, 40)).shape) == (2, 4)


def test_bad_input_and_configuration_raise() -> None:
    net = models.create_model("mnist1d_cnn_bn")
    with pytest.raises(ValueError, match=r"ConvNet1dBN: expected input of shape \(N, 1, L\).*got \(2, 3, 40\)"):
        net(cr.randn(2, 3, 40))
    with pytest.raises(ValueError, match=r"got \(2, 1, 3\)"):
        net(cr.randn(2, 1, 3))
    with pytest.raises(ValueError, match="ConvNet1dBN: sizes must be positive.*channels=0"):
        ConvNet1dBN(channels=0)
    with pytest.raises(ValueError, match="padding_mode"):
        ConvNet1dBN(padding_mode="mirror")


@pytest.mark.parametrize("shift", [4, 8, -12, 36])
def test_circular_padding_makes_the_cnn_invariant_to_circular_shifts_by_multiples_of_4(shift: int) -> None:
    # circular convolutions commute with any roll; two max-pools of 2 with rolls by multiples of 4; the global max
    # forgets positions: so the output is exactly invariant. Zero padding breaks the first step.
    x = np.random.default_rng(1).standard_normal((5, 40)).astype(np.float32)
    rolled = np.roll(x, shift, axis=-1)
    cr.manual_seed(0)
    net = models.create_model("mnist1d_cnn_bn")
    net.eval()
    np.testing.assert_allclose(net(cr.tensor(rolled)).detach().numpy(), net(cr.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    cr.manual_seed(0)
    zeros = models.create_model("mnist1d_cnn_bn", padding_mode="zeros")
    zeros.eval()
    assert not np.allclose(zeros(cr.tensor(rolled)).detach().numpy(), zeros(cr.tensor(x)).detach().numpy(),
                           rtol=1e-5, atol=1e-5)


def test_state_dict_round_trip_carries_the_running_statistics() -> None:
    cr.manual_seed(0)
    net = models.create_model("mnist1d_cnn_bn")
    net(cr.randn(16, 40) * 3 + 1)  # a training-mode forward moves the running statistics
    state = net.state_dict()
    assert {"features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked"} <= set(state)
    assert not np.allclose(state["features.1.running_mean"].numpy(), 0)
    cr.manual_seed(1)
    fresh = models.create_model("mnist1d_cnn_bn")
    fresh.load_state_dict(state)
    net.eval()
    fresh.eval()
    x = cr.randn(4, 40)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), net(x).detach().numpy())


# ------------------------------------------------------------------------------------------------ RandomShift1d
def test_random_shift_rolls_each_sample_within_the_range_and_is_identity_in_eval() -> None:
    x = np.arange(200 * 40, dtype=np.float32).reshape(200, 40)
    layer = RandomShift1d(5)
    cr.manual_seed(0)
    y = layer(cr.tensor(x)).numpy()
    shifts = []
    for row, out in zip(x, y):
        k = [s for s in range(-5, 6) if np.array_equal(np.roll(row, s), out)]
        assert len(k) == 1
        shifts.append(k[0])
    assert set(shifts) == set(range(-5, 6))  # every shift in -5..5 drawn among 200 samples
    cr.manual_seed(0)
    np.testing.assert_array_equal(layer(cr.tensor(x)).numpy(), y)  # reproducible under manual_seed
    layer.eval()
    t = cr.tensor(x)
    assert layer(t) is t
    assert RandomShift1d(0)(t) is t


def test_random_shift_moves_all_channels_of_a_sample_together_and_passes_gradients() -> None:
    x = cr.randn(8, 3, 40, requires_grad=True)
    cr.manual_seed(3)
    y = RandomShift1d(7)(x)
    xs, ys = x.detach().numpy(), y.detach().numpy()
    for n in range(8):
        k = [s for s in range(-7, 8) if np.array_equal(np.roll(xs[n], s, axis=-1), ys[n])]
        assert len(k) == 1  # one shift for the whole (3, 40) sample
    w = np.random.default_rng(0).standard_normal((8, 3, 40)).astype(np.float32)
    (y * cr.tensor(w)).sum().backward()
    assert x.grad is not None
    for n in range(8):  # the gradient is the weight rolled back
        k = next(s for s in range(-7, 8) if np.array_equal(np.roll(xs[n], s, axis=-1), ys[n]))
        np.testing.assert_allclose(x.grad.numpy()[n], np.roll(w[n], -k, axis=-1))


def test_random_shift_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="RandomShift1d: max_shift must be a non-negative int, got -1"):
        RandomShift1d(-1)
    with pytest.raises(ValueError, match="RandomShift1d: max_shift must be a non-negative int, got 2.5"):
        RandomShift1d(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"RandomShift1d: expected input of shape \(N, \*, L\), got \(40,\)"):
        RandomShift1d(3)(cr.randn(40))


def test_shift_augmented_mlp_is_the_papers_mlp_at_evaluation() -> None:
    cr.manual_seed(0)
    net = models.create_model("mnist1d_mlp_shift")
    cr.manual_seed(0)
    plain = models.create_model("mlp")
    assert _count(net) == _count(plain) == 40 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10 == 15_210
    assert isinstance(net[0], RandomShift1d) and net[0].max_shift == 5
    assert all(isinstance(m, (cr.nn.Linear, cr.nn.ReLU, cr.nn.Flatten)) for m in net[1].layers)  # fully connected
    net.eval()
    x = cr.randn(4, 40)
    np.testing.assert_array_equal(net(x).detach().numpy(), plain(x).detach().numpy())  # same init, no shift
    net.train()
    net(x).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())
    fresh = models.create_model("mnist1d_mlp_shift", max_shift=5)
    fresh.load_state_dict(net.state_dict())
    fresh.eval()
    net.eval()
    np.testing.assert_array_equal(fresh(x).detach().numpy(), net(x).detach().numpy())
