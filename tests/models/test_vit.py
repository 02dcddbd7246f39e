"""vit_tiny / VisionTransformer: shapes, parameter counts by formula and the published ViT-B/16 count, gradients to
every parameter, state_dict round trip, bad input, and the forward and gradients against the same network built
from PyTorch's modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import models
from chainrule.models.vit import VisionTransformer
from tests.helpers import assert_close


def _count(m: cr.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _formula(c: int, s: int, p: int, d: int, depth: int, mlp: int, k: int) -> int:
    """Patch conv, class token, positions, per layer (qkv, out proj, MLP, 2 layer norms), final norm, head."""
    n = (s // p) ** 2
    layer = (3 * d * d + 3 * d) + (d * d + d) + (d * mlp + mlp) + (mlp * d + d) + 4 * d
    return (c * p * p * d + d) + d + (n + 1) * d + depth * layer + 2 * d + (d * k + k)


@pytest.mark.parametrize("kw", [{}, dict(num_classes=3, in_channels=3, image_size=32, patch_size=8),
                                dict(embed_dim=32, depth=4, num_heads=2, mlp_dim=48, patch_size=4)])
def test_vit_shapes_and_parameter_count(kw: dict) -> None:
    cr.manual_seed(0)
    m = models.create_model("vit_tiny", **kw)
    c, s, k = kw.get("in_channels", 1), kw.get("image_size", 28), kw.get("num_classes", 10)
    y = m(cr.randn(3, c, s, s))
    assert tuple(y.shape) == (3, k) and y.dtype == cr.float32
    assert m.num_patches == (s // kw.get("patch_size", 7)) ** 2
    assert _count(m) == _formula(c, s, kw.get("patch_size", 7), kw.get("embed_dim", 64), kw.get("depth", 2),
                                 kw.get("mlp_dim", 128), k)


def test_vit_b_16_has_the_published_parameter_count() -> None:
    """torchvision's vit_b_16: 86,567,656 parameters with 1000 classes (built, never run at that size)."""
    m = models.create_model("vit_b_16")
    assert _count(m) == 86_567_656 == _formula(3, 224, 16, 768, 12, 3072, 1000)
    assert m.num_patches == 196 and len(m.encoder.layers) == 12


def test_every_parameter_gets_a_gradient() -> None:
    cr.manual_seed(0)
    m = models.create_model("vit_tiny")
    x, t = cr.randn(4, 1, 28, 28), cr.tensor(np.array([0, 1, 2, 3]))
    cr.nn.functional.cross_entropy(m(x), t).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None, name
        assert p.grad.dtype == cr.float32 and p.grad.shape == p.shape, name
        assert np.abs(p.grad.numpy()).max() > 0, name


def test_state_dict_round_trip() -> None:
    cr.manual_seed(0)
    a = models.create_model("vit_tiny")
    cr.manual_seed(1)
    b = models.create_model("vit_tiny")
    x = cr.randn(2, 1, 28, 28)
    with cr.no_grad():
        assert not np.allclose(a(x).numpy(), b(x).numpy())
        b.load_state_dict(a.state_dict())
        np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    assert list(a.state_dict()) == list(b.state_dict())


def test_bad_arguments_and_inputs() -> None:
    with pytest.raises(ValueError, match=r"image_size \(28\) must be a positive multiple of patch_size \(5\)"):
        VisionTransformer(image_size=28, patch_size=5)
    with pytest.raises(ValueError, match=r"embed_dim \(64\) must be a positive multiple of num_heads \(3\)"):
        VisionTransformer(num_heads=3)
    m = models.create_model("vit_tiny")
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 1, 28, 28\), got \(2, 3, 28, 28\)"):
        m(cr.randn(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"got \(1, 28, 28\)"):
        m(cr.randn(1, 28, 28))


class _TorchViT(torch.nn.Module):
    """The same network from PyTorch's modules, with the same parameter names."""

    def __init__(self, c: int, s: int, p: int, d: int, depth: int, heads: int, mlp: int, k: int) -> None:
        super().__init__()
        self.conv_proj = torch.nn.Conv2d(c, d, p, stride=p)
        self.class_token = torch.nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embedding = torch.nn.Module()
        self.pos_embedding.weight = torch.nn.Parameter(torch.zeros((s // p) ** 2 + 1, d))
        layer = torch.nn.TransformerEncoderLayer(d, heads, mlp, 0.0, activation="gelu", layer_norm_eps=1e-6,
                                                 batch_first=True, norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, depth, norm=torch.nn.LayerNorm(d, eps=1e-6),
                                                   enable_nested_tensor=False)
        self.head = torch.nn.Linear(d, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.conv_proj(x).flatten(2).transpose(1, 2)
        z = torch.cat([self.class_token.expand(x.shape[0], -1, -1), t], 1) + self.pos_embedding.weight
        return self.head(self.encoder(z)[:, 0])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_forward_and_gradients_match_pytorch(dtype: str) -> None:
    cfg = dict(c=2, s=12, p=4, d=16, depth=2, heads=4, mlp=24, k=5)
    cr.manual_seed(0)
    ours = VisionTransformer(12, 4, 5, 2, 16, 2, 4, 24).to(getattr(cr, dtype))
    ref = _TorchViT(**cfg).to(getattr(torch, dtype))
    rng = np.random.default_rng(0)
    with cr.no_grad():
        cr.nn.init.normal_(ours.class_token)  # non-zero, so that its path is checked too
    ref.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((3, 2, 12, 12)).astype(dtype)
    g = rng.standard_normal((3, 5)).astype(dtype)
    y, ty = ours(cr.tensor(x)), ref(torch.tensor(x))
    assert_close(y, ty, "fwd", dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    tgrads = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad.dtype == p.dtype, name
        assert_close(p.grad, tgrads[name].grad, "grad", dtype)
