"""Autoencoders, the masked autoencoder, RBM and DBN: builds by name, shapes, parameter counts by formula, gradients,
state_dict round trips, bad input; MAE masking and loss against NumPy; RBM free energy, CD-k gradient and exact
log-likelihood against NumPy references."""

from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import models
from chainrule.models.mae import MaskedAutoencoder, sincos_pos_embed_2d
from chainrule.models.rbm import DBN, RBM


def _count(m: cr.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _dense(pairs: list[tuple[int, int]]) -> int:
    return sum(a * b + b for a, b in pairs)


def _ae_count(sizes: list[int]) -> int:
    pairs = list(zip(sizes[:-1], sizes[1:]))
    return _dense(pairs) + _dense([(b, a) for a, b in reversed(pairs)])


def _conv_ae_count(c: int, widths: list[int], code: int, side: int) -> int:
    chans = [c, *widths]
    enc = sum(a * b * 9 + b for a, b in zip(chans[:-1], chans[1:])) + widths[-1] * code * side * side + code
    dec = code * widths[-1] * side * side + widths[-1] + sum(a * b * 9 + b for a, b in zip(chans[:0:-1], chans[-2::-1]))
    return enc + dec


def _block(d: int, mlp: int) -> int:
    return (3 * d * d + 3 * d) + (d * d + d) + (d * mlp + mlp) + (mlp * d + d) + 4 * d


def _mae_count(c: int, p: int, d: int, depth: int, dd: int, ddepth: int) -> int:
    enc = (c * p * p * d + d) + d + depth * _block(d, 2 * d) + 2 * d
    dec = (d * dd + dd) + dd + ddepth * _block(dd, 2 * dd) + 2 * dd + (dd * p * p * c + p * p * c)
    return enc + dec


def _ae_loss(m: Any, x: cr.Tensor) -> cr.Tensor:
    return F.mse_loss(m(x), x)


def _dbn_loss(m: Any, x: cr.Tensor) -> cr.Tensor:
    # every RBM's free energy on the activations of the layers below (as in pre-training) touches all parameters
    return sum((r.free_energy(m(x, layers=i)).mean() for i, r in enumerate(m.rbms)), cr.tensor(0.0))


# name, kwargs, input shape, expected output shape, parameter count, loss for backward
CASES: list[tuple[str, dict, tuple, tuple, int, Callable]] = [
    ("autoencoder", {}, (3, 1, 28, 28), (3, 1, 28, 28), _ae_count([784, 256, 128, 32]), _ae_loss),
    ("autoencoder", dict(in_features=20, code_size=3, hidden=(8,), activation="tanh", sigmoid_output=False),
     (3, 20), (3, 20), _ae_count([20, 8, 3]), _ae_loss),
    ("conv_autoencoder", {}, (3, 1, 28, 28), (3, 1, 28, 28), _conv_ae_count(1, [16, 32], 64, 7), _ae_loss),
    ("conv_autoencoder", dict(in_channels=3, image_size=16, widths=(4, 6, 8), code_size=5), (2, 3, 16, 16),
     (2, 3, 16, 16), _conv_ae_count(3, [4, 6, 8], 5, 2), _ae_loss),
    ("mae_tiny", {}, (3, 1, 28, 28), (3, 16, 49), _mae_count(1, 7, 64, 4, 32, 1), lambda m, x: m(x)[0]),
    ("mae_tiny", dict(patch_size=4, embed_dim=32, depth=2, decoder_embed_dim=16, decoder_depth=2, norm_pix_loss=True),
     (2, 1, 28, 28), (2, 49, 16), _mae_count(1, 4, 32, 2, 16, 2), lambda m, x: m(x)[0]),
    ("rbm", {}, (3, 1, 28, 28), (3, 128), 784 * 128 + 784 + 128, lambda m, x: m.free_energy(x).mean()),
    ("dbn", dict(sizes=(20, 7, 5, 3)), (4, 20), (4, 3), _dense([(20, 7), (7, 5), (5, 3)]) + 20 + 7 + 5, _dbn_loss),
]


@pytest.mark.parametrize("name,kw,shape,out_shape,count,loss_fn", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_entry_points(name: str, kw: dict, shape: tuple, out_shape: tuple, count: int, loss_fn: Callable) -> None:
    assert name in models.list_models()
    m = models.create_model(name, **kw)
    assert _count(m) == count
    x = cr.rand(*shape)
    out = m(x)
    out = out[1] if isinstance(out, tuple) else out
    assert tuple(out.shape) == out_shape and out.dtype == cr.float32
    loss_fn(m, x).backward()
    for n, p in m.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape and p.grad.dtype == cr.float32, n
        assert np.abs(p.grad.numpy()).max() > 0, n
    cr.manual_seed(123)
    other = models.create_model(name, **kw)
    other.load_state_dict(m.state_dict())
    assert list(other.state_dict()) == list(m.state_dict())
    for (k, a), b in zip(m.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_autoencoder_encode_decode_and_layout() -> None:
    m = models.create_model("autoencoder", in_features=12, code_size=2, hidden=(6,))
    x = cr.rand(4, 3, 4)
    z = m.encode(x)
    assert tuple(z.shape) == (4, 2)
    np.testing.assert_array_equal(m(x).detach().numpy(), m.decode(z).reshape(4, 3, 4).detach().numpy())
    # the code layer is linear; the decoder mirrors the encoder
    assert [type(layer).__name__ for layer in m.encoder] == ["Flatten", "Linear", "ReLU", "Linear"]
    assert [type(layer).__name__ for layer in m.decoder] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    assert float(m(x).min()) >= 0 and float(m(x).max()) <= 1
    c = models.create_model("conv_autoencoder")
    assert tuple(c.encode(cr.rand(2, 1, 28, 28)).shape) == (2, 64, 1, 1)
    assert tuple(c.decode(cr.rand(2, 64, 1, 1)).shape) == (2, 1, 28, 28)
    nocode = models.create_model("conv_autoencoder", code_size=None)
    assert tuple(nocode.encode(cr.rand(2, 1, 28, 28)).shape) == (2, 32, 7, 7)


def test_autoencoder_bad_input() -> None:
    with pytest.raises(ValueError, match=r"Autoencoder: expected input .* 784 features per sample, got \(2, 1, 27"):
        models.create_model("autoencoder")(cr.rand(2, 1, 27, 27))
    with pytest.raises(ValueError, match=r"Autoencoder: expected a code of shape \(N, 32\), got \(2, 16\)"):
        models.create_model("autoencoder").decode(cr.rand(2, 16))
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        models.create_model("autoencoder", activation="swish")
    c = models.create_model("conv_autoencoder")
    with pytest.raises(ValueError, match=r"ConvAutoencoder: expected input of shape \(N, 1, 28, 28\), got \(2, 3, 28"):
        c(cr.rand(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"got \(2, 1, 32, 32\)"):
        c(cr.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"image_size \(30\) must be a positive multiple of 2\*\*len\(widths\) = 4"):
        models.create_model("conv_autoencoder", image_size=30)
    with pytest.raises(TypeError, match="expected a Tensor"):
        c(np.zeros((2, 1, 28, 28), dtype=np.float32))


# ----------------------------------------------------------------- masked autoencoder
def test_mae_patchify_matches_numpy_and_inverts() -> None:
    m = MaskedAutoencoder(image_size=8, patch_size=4, in_channels=3, embed_dim=8, depth=1, num_heads=2, mlp_dim=8,
                          decoder_embed_dim=8, decoder_depth=1, decoder_num_heads=2, decoder_mlp_dim=8)
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    ref = np.einsum("nchpwq->nhwpqc", x.reshape(2, 3, 2, 4, 2, 4)).reshape(2, 4, 48)  # the reference's layout
    np.testing.assert_array_equal(m.patchify(cr.tensor(x)).numpy(), ref)
    np.testing.assert_array_equal(m.unpatchify(m.patchify(cr.tensor(x))).numpy(), x)


def test_mae_sincos_table() -> None:
    t = sincos_pos_embed_2d(8, 3)
    assert t.shape == (10, 8) and not t[0].any()
    omega = 1 / 10000 ** (np.arange(2) / 2)
    r, c = 1, 2  # patch 5 = row 1, column 2: the column's sines and cosines first, then the row's
    np.testing.assert_allclose(t[1 + 3 * r + c], np.concatenate([np.sin(c * omega), np.cos(c * omega),
                                                                 np.sin(r * omega), np.cos(r * omega)]))
    with pytest.raises(ValueError, match=r"embed_dim \(6\) must be a multiple of 4"):
        sincos_pos_embed_2d(6, 3)


def test_mae_masking_keeps_the_stated_number_of_patches_per_sample() -> None:
    m = models.create_model("mae_tiny")
    x = cr.rand(8, 1, 28, 28)
    with cr.no_grad():
        for ratio, keep in [(0.75, 4), (0.5, 8), (0.0, 16), (0.9, 1)]:
            latent, mask, ids_restore = m.forward_encoder(x, ratio)
            assert tuple(latent.shape) == (8, 1 + keep, 64)
            np.testing.assert_array_equal(mask.numpy().sum(1), 16 - keep)
        rows = {tuple(r) for r in m(x)[2].numpy()}
        assert len(rows) > 1, "every sample got the same mask"
        # the kept tokens are exactly the unmasked positions, and ids_restore undoes the shuffle
        tokens = cr.arange(8 * 16, dtype=cr.float32).reshape(8, 16, 1)
        kept, mask, ids_restore = m.random_masking(tokens, 0.75)
        for i in range(8):
            assert sorted(kept.numpy()[i, :, 0] - 16 * i) == list(np.flatnonzero(mask.numpy()[i] == 0))
        shuffled = np.take_along_axis(tokens.numpy()[..., 0], np.argsort(ids_restore.numpy(), 1), 1)
        np.testing.assert_array_equal(np.take_along_axis(shuffled, ids_restore.numpy(), 1), tokens.numpy()[..., 0])
        # the masks follow chainrule.manual_seed, or the model's own generator when it has one
        cr.manual_seed(5)
        a = m(x)[2].numpy()
        cr.manual_seed(5)
        np.testing.assert_array_equal(a, m(x)[2].numpy())
        m.generator = cr.Generator().manual_seed(7)
        first = m(x)[2].numpy()
        m.generator = cr.Generator().manual_seed(7)
        np.testing.assert_array_equal(first, m(x)[2].numpy())


@pytest.mark.parametrize("norm_pix", [False, True])
def test_mae_loss_counts_only_masked_patches(norm_pix: bool) -> None:
    m = models.create_model("mae_tiny", norm_pix_loss=norm_pix)
    x = cr.rand(4, 1, 28, 28)
    with cr.no_grad():
        loss, pred, mask = m(x)
    target = m.patchify(x).numpy().astype(np.float64)
    if norm_pix:
        target = (target - target.mean(-1, keepdims=True)) / np.sqrt(target.var(-1, ddof=1, keepdims=True) + 1e-6)
    mk = mask.numpy()
    ref = (((pred.numpy() - target) ** 2).mean(-1) * mk).sum() / mk.sum()
    assert float(loss) == pytest.approx(ref, rel=1e-5)
    # change one visible patch of the target: same loss; change one masked patch: a different loss
    vis, hid = np.flatnonzero(mk[0] == 0)[0], np.flatnonzero(mk[0] == 1)[0]
    for patch, same in [(vis, True), (hid, False)]:
        p = m.patchify(x).numpy().copy()
        p[0, patch] = np.random.default_rng(1).random(49)
        changed = m.forward_loss(m.unpatchify(cr.tensor(p)), pred, mask)
        assert (float(changed) == pytest.approx(float(loss), rel=1e-6)) is same
    # nothing masked: the loss is 0, not NaN
    assert float(m(x, mask_ratio=0.0)[0]) == 0.0


def test_mae_bad_input() -> None:
    for ratio in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=rf"mask_ratio must be in \[0, 1\), got {ratio}"):
            models.create_model("mae_tiny", mask_ratio=ratio)
    m = models.create_model("mae_tiny")
    with pytest.raises(ValueError, match=r"mask_ratio must be in \[0, 1\), got 1.0"):
        m(cr.rand(2, 1, 28, 28), mask_ratio=1.0)
    with pytest.raises(ValueError, match=r"MaskedAutoencoder: expected input of shape \(N, 1, 28, 28\), got \(2, 3, 2"):
        m(cr.rand(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"got \(2, 1, 32, 32\)"):
        m(cr.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"image_size \(28\) must be a positive multiple of patch_size \(5\)"):
        models.create_model("mae_tiny", patch_size=5)
    with pytest.raises(ValueError, match=r"width \(64\) must be a positive multiple of num_heads \(3\)"):
        models.create_model("mae_tiny", num_heads=3)
    with pytest.raises(ValueError, match=r"decoder_embed_dim \(30\) must be a multiple of 4"):
        models.create_model("mae_tiny", decoder_embed_dim=30)


# ----------------------------------------------------------------- RBM
def _np_free_energy(v: np.ndarray, w: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return -v @ b - np.logaddexp(0, v @ w.T + c).sum(1)


def _random_rbm(nv: int, nh: int, seed: int = 0) -> RBM:
    rng = np.random.default_rng(seed)
    r = RBM(nv, nh).double()
    with cr.no_grad():
        r.weight.copy_(cr.tensor(rng.normal(0, 0.5, (nh, nv))))
        r.visible_bias.copy_(cr.tensor(rng.normal(0, 0.5, nv)))
        r.hidden_bias.copy_(cr.tensor(rng.normal(0, 0.5, nh)))
    return r


def test_rbm_free_energy_matches_numpy_and_is_differentiable() -> None:
    r = _random_rbm(7, 5)
    v = (np.random.default_rng(1).random((6, 7)) < 0.5).astype(np.float64)
    w, b, c = (p.detach().numpy() for p in (r.weight, r.visible_bias, r.hidden_bias))
    np.testing.assert_allclose(r.free_energy(cr.tensor(v)).detach().numpy(), _np_free_energy(v, w, b, c), rtol=1e-12)
    r.free_energy(cr.tensor(v)).sum().backward()
    sig = 1 / (1 + np.exp(-(v @ w.T + c)))
    np.testing.assert_allclose(r.weight.grad.numpy(), -sig.T @ v, rtol=1e-10)  # dF/dW = -p(h|v) v^T
    np.testing.assert_allclose(r.visible_bias.grad.numpy(), -v.sum(0), rtol=1e-10)


@pytest.mark.parametrize("k", [1, 3])
def test_rbm_cd_gradient_matches_numpy_with_the_same_random_stream(k: int) -> None:
    r = _random_rbm(7, 5)
    v = (np.random.default_rng(1).random((6, 7)) < 0.5).astype(np.float64)
    w, b, c = (p.detach().numpy() for p in (r.weight, r.visible_bias, r.hidden_bias))
    err = r.contrastive_divergence(cr.tensor(v), k=k, generator=cr.Generator().manual_seed(42))
    rng = np.random.Generator(np.random.PCG64(42))  # the stream behind chainrule.Generator().manual_seed(42)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    ph0 = sig(v @ w.T + c)
    vk, ph, recon = v, ph0, None
    for step in range(k):
        h = (rng.random(ph.shape) < ph).astype(np.float64)
        pv = sig(h @ w + b)
        recon = pv if recon is None else recon
        vk = (rng.random(pv.shape) < pv).astype(np.float64)
        ph = sig(vk @ w.T + c)
    np.testing.assert_allclose(r.weight.grad.numpy(), -(ph0.T @ v - ph.T @ vk) / 6, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.visible_bias.grad.numpy(), -(v - vk).mean(0), atol=1e-12)
    np.testing.assert_allclose(r.hidden_bias.grad.numpy(), -(ph0 - ph).mean(0), atol=1e-12)
    assert err == pytest.approx(((v - recon) ** 2).mean(), rel=1e-10)
    # the CD estimate is the gradient of F(v) - F(v_k) averaged over the batch (with v_k held fixed)
    cd = [p.grad.numpy().copy() for p in r.parameters()]
    r.zero_grad()
    (r.free_energy(cr.tensor(v)).mean() - r.free_energy(cr.tensor(vk)).mean()).backward()
    for a, p in zip(cd, r.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), a, rtol=1e-10, atol=1e-12)


def test_rbm_log_partition_matches_brute_force() -> None:
    for nv, nh in [(4, 3), (3, 5)]:
        r = _random_rbm(nv, nh, seed=nv)
        w, b, c = (p.detach().numpy() for p in (r.weight, r.visible_bias, r.hidden_bias))
        energies = [-(b @ v + c @ h + h @ w @ v) for v in itertools.product((0, 1), repeat=nv)
                    for h in itertools.product((0, 1), repeat=nh) for v, h in [(np.array(v), np.array(h))]]
        ref = np.log(np.exp(-np.array(energies)).sum())
        assert float(r.log_partition()) == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match="too many"):
        RBM(30, 21).log_partition()


def _exact_mean_log_likelihood(r: RBM, data: np.ndarray) -> float:
    with cr.no_grad():
        return float(-r.free_energy(cr.tensor(data)).mean() - r.log_partition())


@pytest.mark.parametrize("persistent,lr,gain", [(False, 0.3, 1.2), (True, 0.15, 1.0)])
def test_rbm_cd_training_raises_the_exact_log_likelihood(persistent: bool, lr: float, gain: float) -> None:
    """A 4-visible, 3-hidden RBM on three patterns: the exact mean log p(v) (all 16 states enumerated) rises from
    log(1/16) = -2.77 towards the best possible log(1/3) = -1.10. Reached with seeds 0-2: CD-1 -1.28 .. -1.19,
    PCD -1.55 .. -1.40 (PCD diverges at CD's learning rate, so it gets a smaller one)."""
    rng = np.random.default_rng(0)
    patterns = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], dtype=np.float32)
    data = patterns[rng.integers(0, 3, 60)]
    r = RBM(4, 3, persistent=persistent, generator=cr.Generator().manual_seed(0))
    opt = cr.optim.SGD(r.parameters(), lr=lr, momentum=0.5)
    start = _exact_mean_log_likelihood(r, data)
    assert start == pytest.approx(-4 * np.log(2), abs=0.05)  # tiny weights: nearly uniform over 16 states
    for _ in range(150):
        for i in range(0, 60, 20):
            r.contrastive_divergence(cr.tensor(data[i:i + 20]))
            opt.step()
    end = _exact_mean_log_likelihood(r, data)
    assert end > start + gain, (start, end)
    if persistent:
        assert r.chain is not None and tuple(r.chain.shape) == (20, 4)


def test_rbm_sampling_and_bad_input() -> None:
    r = RBM(6, 4, generator=cr.Generator().manual_seed(3))
    v = cr.rand(5, 6).round()
    ph, h = r.sample_h(v)
    assert tuple(h.shape) == (5, 4) and set(np.unique(h.numpy())) <= {0.0, 1.0} and float(ph.min()) > 0
    pv, vs = r.sample_v(h)
    assert tuple(vs.shape) == (5, 6) and set(np.unique(vs.numpy())) <= {0.0, 1.0}
    a = r.gibbs(v, k=2, generator=cr.Generator().manual_seed(1))[1].numpy()
    np.testing.assert_array_equal(a, r.gibbs(v, k=2, generator=cr.Generator().manual_seed(1))[1].numpy())
    with pytest.raises(ValueError, match=r"RBM: expected visible units of shape \(N, 6\).*got \(5, 7\)"):
        r(cr.rand(5, 7))
    with pytest.raises(ValueError, match=r"RBM: expected hidden units of shape \(N, 4\), got \(5, 3\)"):
        r.sample_v(cr.rand(5, 3))
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        r.contrastive_divergence(v, k=0)
    with pytest.raises(ValueError, match=r"n_visible \(0\)"):
        RBM(0, 3)


# ----------------------------------------------------------------- DBN
def test_dbn_to_mlp_copies_the_weights_exactly() -> None:
    d = DBN((12, 6, 4))
    d.rbms[0].contrastive_divergence(cr.rand(8, 12).round())
    with cr.no_grad():
        for r in d.rbms:
            r.hidden_bias.add_(cr.randn(r.n_hidden))
    mlp = d.to_mlp(3)
    lins = [m for m in mlp if isinstance(m, cr.nn.Linear)]
    assert [type(m).__name__ for m in mlp] == ["Flatten", "Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    for lin, r in zip(lins, d.rbms):
        np.testing.assert_array_equal(lin.weight.detach().numpy(), r.weight.detach().numpy())
        np.testing.assert_array_equal(lin.bias.detach().numpy(), r.hidden_bias.detach().numpy())
        assert not np.shares_memory(lin.weight.detach().numpy(), r.weight.detach().numpy())
    assert tuple(lins[-1].weight.shape) == (3, 4)
    x = cr.rand(5, 12)
    np.testing.assert_array_equal(mlp[:5](x).detach().numpy(), d(x).detach().numpy())  # the hidden layers agree
    with pytest.raises(ValueError, match="num_classes must be positive"):
        d.to_mlp(0)
    with pytest.raises(ValueError, match=r"sizes needs a visible and at least one hidden layer, got \[5\]"):
        DBN((5,))


def test_dbn_pretrain_is_greedy_and_lowers_reconstruction_error() -> None:
    rng = np.random.default_rng(0)
    protos = (rng.random((3, 16)) < 0.5).astype(np.float32)
    x = protos[rng.integers(0, 3, 64)]
    loader = [(cr.tensor(x[i:i + 16]), cr.tensor(np.zeros(16))) for i in range(0, 64, 16)]
    cr.manual_seed(0)  # the weights' initialisation; the generator drives the Gibbs samples
    d = DBN((16, 8, 4), generator=cr.Generator().manual_seed(0))
    top_before = d.rbms[1].weight.detach().numpy().copy()
    hist = d.pretrain(loader, epochs=30, lr=0.3)
    assert len(hist) == 2 and all(len(h) == 30 for h in hist)
    assert hist[0][-1] < 0.1 * hist[0][0]  # layer 1 learns to reconstruct the three prototypes (0.21 -> 0.005)
    assert hist[1][-1] < 0.5 * hist[1][0]  # and so does layer 2, on layer 1's codes (0.23 -> 0.01)
    assert not np.array_equal(top_before, d.rbms[1].weight.detach().numpy())
    # an optimizer factory replaces the built-in update; SGD with the same momentum makes the same steps
    cr.manual_seed(0)
    d2 = DBN((16, 8, 4), generator=cr.Generator().manual_seed(0))
    d2.pretrain(loader, epochs=30, optimizer=lambda p: cr.optim.SGD(p, lr=0.3, momentum=0.5))
    for a, b in zip(d.parameters(), d2.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"epochs \(0\) and lr \(0.1\) must be positive"):
        d.pretrain(loader, epochs=0)
