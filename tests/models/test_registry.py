"""The model registry and the first models: names, errors, parameter counts and the perceptron rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import models


def _count(m: cr.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_list_models_filters_by_pattern_and_is_sorted() -> None:
    names = models.list_models()
    assert names == sorted(names)
    assert {"mlp", "logistic_regression", "perceptron"} <= set(names)
    assert models.list_models("*regression") == ["linear_regression", "logistic_regression", "softmax_regression"]
    assert models.list_models("no-such-*") == []


def test_unknown_model_suggests_close_names() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'mpl'.*'mlp'"):
        models.create_model("mpl")
    with pytest.raises(ValueError, match="list_models"):
        models.create_model("zzzzzz")


def test_registering_a_name_twice_raises() -> None:
    with pytest.raises(ValueError, match="already registered"):
        models.register_model(models.model_entrypoint("mlp"))


def test_mlp_has_the_parameters_and_outputs_of_the_same_torch_mlp() -> None:
    net = models.create_model("mlp", in_features=40, num_classes=10)
    ref = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(40, 100), torch.nn.ReLU(), torch.nn.Linear(100, 100),
                              torch.nn.ReLU(), torch.nn.Linear(100, 10)).double()
    assert _count(net) == sum(p.numel() for p in ref.parameters()) == 40 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10
    net.double()
    ref.load_state_dict({k.replace("layers.", ""): torch.from_numpy(v.detach().numpy().copy())
                         for k, v in net.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 40))
    np.testing.assert_allclose(net(cr.tensor(x)).detach().numpy(), ref(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_regressions_are_single_linear_layers() -> None:
    for name in ("linear_regression", "logistic_regression", "softmax_regression"):
        net = models.create_model(name, in_features=7, **({"out_features": 3} if name == "linear_regression"
                                                          else {"num_classes": 3}))
        assert _count(net) == 7 * 3 + 3
        assert [type(m).__name__ for m in net.modules()].count("Linear") == 1


def test_mlp_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="activation 'swish'"):
        models.create_model("mlp", activation="swish")
    with pytest.raises(ValueError, match=r"hidden=\[0\]"):
        models.create_model("mlp", hidden=(0,))


@pytest.mark.parametrize("gate,targets", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0])])
def test_perceptron_rule_converges_exactly_on_separable_gates(gate: str, targets: list[int]) -> None:
    cr.manual_seed(0)
    p = models.create_model("perceptron", in_features=2)
    x = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = cr.tensor(targets)
    mistakes = [p.perceptron_update(x, t, lr=0.5) for _ in range(50)]
    if gate == "xor":  # not linearly separable: the rule never stops making mistakes
        assert min(mistakes[-10:]) > 0
        assert (p.predict(x).numpy() != np.array(targets)).any()
    else:  # the perceptron convergence theorem: a separable set is learnt in finitely many updates
        assert mistakes[-1] == 0
        assert p.predict(x).tolist() == targets


def test_lenet5_has_61706_parameters_in_its_common_form() -> None:
    net = models.create_model("lenet5")
    # C1 6*(25+1) + C3 16*(6*25+1) + C5 120*(400+1) + F6 84*(120+1) + output 10*(84+1)
    assert _count(net) == 156 + 2416 + 48120 + 10164 + 850 == 61_706
    assert tuple(net(cr.zeros(2, 1, 32, 32)).shape) == (2, 10)
    small = models.create_model("lenet5", input_size=28)  # C1 pads by 2: same maps, same count
    assert _count(small) == 61_706
    assert tuple(small(cr.zeros(2, 1, 28, 28)).shape) == (2, 10)


def test_mnist1d_cnn_is_the_papers_convbase() -> None:
    net = models.create_model("mnist1d_cnn")
    ref = torch.nn.ModuleDict({
        "c1": torch.nn.Conv1d(1, 25, 5, stride=2, padding=1), "c2": torch.nn.Conv1d(25, 25, 3, stride=2, padding=1),
        "c3": torch.nn.Conv1d(25, 25, 3, stride=2, padding=1), "lin": torch.nn.Linear(125, 10)}).double()
    assert _count(net) == sum(p.numel() for p in ref.parameters()) == 5210
    net.double()
    ours = [p for p in net.parameters()]
    with torch.no_grad():
        for p, q in zip(ref.parameters(), ours):
            p.copy_(torch.from_numpy(q.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((4, 40))
    t = torch.from_numpy(x).unsqueeze(1)
    for name in ("c1", "c2", "c3"):
        t = ref[name](t).relu()
    expected = ref["lin"](t.flatten(1)).detach().numpy()
    np.testing.assert_allclose(net(cr.tensor(x)).detach().numpy(), expected, rtol=1e-10, atol=1e-10)


def test_simple_cnn_is_benchmark_w2() -> None:
    net = models.create_model("simple_cnn")
    assert _count(net) == (32 * 9 + 32) + (64 * 32 * 9 + 64) + (3136 * 128 + 128) + (128 * 10 + 10)
    assert tuple(net(cr.zeros(3, 1, 28, 28)).shape) == (3, 10)


def test_lenet5_rejects_other_input_sizes() -> None:
    with pytest.raises(ValueError, match="input_size must be 28 or 32, got 64"):
        models.create_model("lenet5", input_size=64)
