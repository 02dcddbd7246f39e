"""Character-level text data and the language models: tokenizer, windows, splits, the corpus reader, tied weights,
causal masking, sampling (temperature, top-k), BERT's masking rule, parameter counts and parity with torch."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import datasets, models
from chainrule.datasets import CharDataset, CharTokenizer, DatasetNotFoundError, train_val_split
from chainrule.datasets import text as text_mod
from chainrule.models.language import sample_next_token
from tests.helpers import assert_close, to_torch

TEXT = "In the beginning, God created the heavens and the earth. The earth was formless and empty.\n"


def _count(m: cr.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _ids(*shape: int, vocab: int, seed: int = 0) -> cr.Tensor:
    return cr.from_numpy(np.random.default_rng(seed).integers(0, vocab, size=shape))


# ---------------------------------------------------------------- tokenizer, windows, split
def test_tokenizer_round_trip_and_sorted_vocab() -> None:
    tok = CharTokenizer().fit(TEXT)
    assert tok.vocab == sorted(set(TEXT)) and tok.vocab_size == len(set(TEXT))
    ids = tok.encode(TEXT)
    assert ids.dtype == np.int64 and ids.shape == (len(TEXT),)
    assert [tok.vocab[i] for i in ids] == list(TEXT)
    assert tok.decode(ids) == TEXT and tok.decode(cr.from_numpy(ids)) == TEXT and tok.decode(ids.tolist()) == TEXT
    assert CharTokenizer("cab").encode("abc").tolist() == [0, 1, 2]


def test_tokenizer_errors_name_the_problem() -> None:
    tok = CharTokenizer().fit("abc")
    with pytest.raises(ValueError, match=r"not in the vocabulary.*'dz'"):
        tok.encode("abzd")
    with pytest.raises(ValueError, match=r"ids must be in \[0, 2\]"):
        tok.decode([0, 3])
    with pytest.raises(RuntimeError, match="call fit"):
        CharTokenizer().encode("a")
    with pytest.raises(TypeError, match="expected a str"):
        tok.fit(b"abc")  # type: ignore[arg-type]


def test_char_dataset_windows_are_shifted_by_one() -> None:
    tok = CharTokenizer().fit("abcdefgh")
    ds = CharDataset("abcdefgh", block_size=3, tokenizer=tok)
    assert len(ds) == 5
    for i in range(len(ds)):
        x, y = ds[i]
        assert x.dtype == cr.int64 and x.shape == (3,)
        assert tok.decode(x) == "abcdefgh"[i:i + 3] and tok.decode(y) == "abcdefgh"[i + 1:i + 4]
    assert tok.decode(ds[-1][1]) == "fgh"
    with pytest.raises(IndexError, match="out of range for 5"):
        ds[5]
    with pytest.raises(ValueError, match="longer than block_size"):
        CharDataset("abc", block_size=3)
    with pytest.raises(ValueError, match="block_size must be a positive integer"):
        CharDataset("abc", block_size=0)
    x, y = CharDataset(np.arange(100), block_size=7).get_batch(5, np.random.default_rng(0))
    assert x.shape == y.shape == (5, 7)
    np.testing.assert_array_equal(y.numpy(), x.numpy() + 1)  # ids 0..99: the target is the next id


def test_train_val_split_is_deterministic_disjoint_and_spread() -> None:
    ids = np.arange(10_000)
    tr, va = train_val_split(ids, 0.1, chunk_size=100)
    tr2, va2 = train_val_split(ids, 0.1, chunk_size=100)
    np.testing.assert_array_equal(tr, tr2)
    np.testing.assert_array_equal(va, va2)
    assert len(va) == 1000 and len(tr) == 9000
    np.testing.assert_array_equal(np.sort(np.concatenate([tr, va])), ids)
    assert va.min() < 1000 and va.max() > 9000  # held-out chunks come from the whole text, not only its end
    s_tr, s_va = train_val_split(TEXT * 3, 0.25, chunk_size=10)
    assert len(s_tr) + len(s_va) == 3 * len(TEXT) and isinstance(s_va, str)
    assert s_va[:20] == (TEXT * 3)[30:40] + (TEXT * 3)[70:80] and s_tr[:30] == TEXT[:30]  # chunks 3, 7, ... held out
    with pytest.raises(ValueError, match="val_fraction must be in"):
        train_val_split(ids, 1.0)


# ---------------------------------------------------------------- the corpus reader
def _write_ztext(d: Path, name: str, blocks: list[str]) -> None:
    raw, index = b"", []
    for b in blocks:
        z = zlib.compress(b.encode("utf-8"))
        index += [len(raw), len(z), len(b.encode("utf-8"))]
        raw += z
    (d / f"{name}.bzz").write_bytes(raw)
    np.asarray(index, dtype="<u4").tofile(d / f"{name}.bzs")


def test_sword_module_is_read_and_cleaned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_mod, "_SYSTEM_DIRS", ())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    mod = tmp_path / "WorldEnglishBible"
    mod.mkdir()
    _write_ztext(mod, "ot", ['<title type="main">Genesis</title><chapter osisID="Gen.1" sID="Gen.1"/>'
                             '<w lemma="x">In</w> the   beginning,<note placement="foot">a note</note> God '
                             '\u201ccreated\u201d \u2014 it\u2019s', ""])
    _write_ztext(mod, "nt", ['<chapter osisID="Matt.1" sID="Matt.1"/>The book. <chapter eID="Matt.1"/>'])
    text = text_mod.load_world_english_bible(root=tmp_path)
    assert text == "In the beginning, God \"created\" - it's\nThe book.\n"
    assert list((mod / "processed").glob("text-*.npz"))  # cached
    assert text_mod.load_world_english_bible(root=tmp_path) == text  # from the cache
    with pytest.raises(DatasetNotFoundError, match="sword-text-web"):
        text_mod.load_world_english_bible(root=tmp_path / "empty")


def test_world_english_bible_splits_share_a_vocabulary() -> None:
    train = datasets.get_dataset("world_english_bible", "train", block_size=16)
    val = datasets.get_dataset("world_english_bible", "test", block_size=16)
    assert isinstance(train, datasets.WorldEnglishBible) and isinstance(val, datasets.WorldEnglishBible)
    assert train.tokenizer is not None and val.tokenizer is not None
    assert train.tokenizer.vocab == val.tokenizer.vocab and train.tokenizer.vocab_size < 100
    total = len(train.text) + len(val.text)
    assert total > 4_000_000 and abs(len(val.text) / total - 0.1) < 0.005
    assert "In the beginning, God created the heavens and the earth." in train.text + val.text
    x, y = train[123]
    assert x.shape == (16,) and np.array_equal(x.numpy()[1:], y.numpy()[:-1])


# ---------------------------------------------------------------- models: structure and counts
def test_registered_language_models() -> None:
    assert {"char_rnn", "gpt_nano", "bert_tiny"} <= set(models.list_models())


def test_lm_heads_are_tied_to_the_token_embedding() -> None:
    gpt = models.create_model("gpt_nano", vocab_size=11, block_size=8)
    bert = models.create_model("bert_tiny", vocab_size=11, block_size=8, n_embd=16)
    assert gpt.lm_head.weight is gpt.embeddings.tok.weight
    assert bert.mlm_decoder.weight is bert.embeddings.tok.weight
    names = [n for n, _ in gpt.named_parameters()]
    assert "lm_head.weight" not in names and "embeddings.tok.weight" in names  # listed once
    idx = _ids(2, 8, vocab=11)
    gpt(idx).sum().backward()
    g = gpt.embeddings.tok.weight.grad.numpy()
    # NOTE: the shared weight's gradient sums both uses: with logits summed, the head's part is sum_t h_t in every
    # row, so rows of tokens absent from the input still get a (non-zero) gradient through the head alone
    absent = sorted(set(range(11)) - set(idx.numpy().ravel().tolist()))
    assert absent and np.abs(g[absent]).min() > 0


def _gpt_count(V: int, T: int, L: int, d: int) -> int:
    block = (3 * d * d + 3 * d) + (d * d + d) + 2 * 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d)
    return V * d + T * d + L * block + 2 * d  # tied head: no extra weight, no bias


def test_parameter_counts_follow_the_formulas() -> None:
    assert _count(models.create_model("gpt_nano", vocab_size=65, block_size=32)) == _gpt_count(65, 32, 3, 48)
    assert _count(models.GPT(50, 16, n_layer=2, n_head=4, n_embd=64)) == _gpt_count(50, 16, 2, 64)
    d, V, T, L = 128, 30522, 512, 2
    bert = (_gpt_count(V, T, L, d) - 2 * d) + 2 * d + (d * d + d) + 2 * d + V  # + emb LN, MLM transform, LN, bias
    assert _count(models.create_model("bert_tiny", vocab_size=V)) == bert
    e, h = 32, 128
    lstm = 4 * (h * e + h * h + 2 * h)
    assert _count(models.create_model("char_rnn", vocab_size=80)) == 80 * e + lstm + h * 80 + 80
    gru = 3 * (h * e + h * h + 2 * h)
    assert _count(models.create_model("char_rnn", vocab_size=80, cell="gru")) == 80 * e + gru + h * 80 + 80


def test_bad_inputs_raise_with_shapes() -> None:
    gpt = models.create_model("gpt_nano", vocab_size=11, block_size=8)
    with pytest.raises(ValueError, match=r"sequence length 9 exceeds block_size 8"):
        gpt(_ids(1, 9, vocab=11))
    with pytest.raises(ValueError, match=r"token ids must be in \[0, 10\]"):
        gpt(cr.from_numpy(np.array([[3, 11]])))
    with pytest.raises(ValueError, match=r"shape \(N, T\).*\(8,\)"):
        gpt(_ids(8, vocab=11))
    with pytest.raises(ValueError, match="divisible by n_head"):
        models.GPT(11, 8, n_head=5, n_embd=48)
    with pytest.raises(ValueError, match="cell must be one of"):
        models.CharRNN(11, cell="transformer")


# ---------------------------------------------------------------- causality
def test_gpt_output_at_t_has_no_gradient_from_later_inputs() -> None:
    cr.manual_seed(1)
    gpt = models.GPT(13, 10, n_layer=2, n_head=2, n_embd=16)
    gpt.eval()
    x = gpt.embeddings(_ids(3, 10, vocab=13)).detach().requires_grad_(True)
    t = 4
    gpt.forward_embedded(x)[:, t].square().sum().backward()
    g = np.abs(x.grad.numpy()).sum(axis=(0, 2))
    assert np.all(g[t + 1:] == 0.0), g  # exactly zero: the mask removes later positions from the graph's values
    assert np.all(g[:t + 1] > 0.0), g


def test_gpt_prefix_logits_do_not_change_when_later_tokens_do() -> None:
    gpt = models.GPT(13, 10, n_layer=2, n_head=2, n_embd=16).eval()
    a = _ids(2, 10, vocab=13).numpy()
    b = a.copy()
    b[:, 6:] = (b[:, 6:] + 5) % 13
    la, lb = gpt(cr.from_numpy(a)).detach().numpy(), gpt(cr.from_numpy(b)).detach().numpy()
    np.testing.assert_array_equal(la[:, :6], lb[:, :6])
    assert np.abs(la[:, 6:] - lb[:, 6:]).max() > 1e-4


def test_bert_is_bidirectional_and_ignores_padding() -> None:
    bert = models.BERT(13, 10, n_layer=2, n_head=2, n_embd=16, dropout=0.0).eval()
    a = _ids(2, 10, vocab=13).numpy()
    b = a.copy()
    b[:, 8:] = (b[:, 8:] + 5) % 13
    la, lb = bert(cr.from_numpy(a)).detach().numpy(), bert(cr.from_numpy(b)).detach().numpy()
    assert np.abs(la[:, :8] - lb[:, :8]).max() > 1e-4  # earlier positions see later tokens
    pad = cr.from_numpy(np.arange(10)[None].repeat(2, 0) >= 8)
    pa = bert(cr.from_numpy(a), key_padding_mask=pad).detach().numpy()
    pb = bert(cr.from_numpy(b), key_padding_mask=pad).detach().numpy()
    np.testing.assert_allclose(pa[:, :8], pb[:, :8], rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- parity with a torch model built from the same weights
def test_gpt_forward_and_gradients_match_torch() -> None:
    V, T, L, H, d = 17, 9, 2, 2, 16
    gpt = models.GPT(V, T, n_layer=L, n_head=H, n_embd=d)
    layer = torch.nn.TransformerEncoderLayer(d, H, 4 * d, 0.0, activation="gelu", batch_first=True, norm_first=True)
    enc = torch.nn.TransformerEncoder(layer, L, norm=torch.nn.LayerNorm(d), enable_nested_tensor=False)
    params = dict(gpt.named_parameters())
    enc.load_state_dict({k[len("encoder."):]: to_torch(v) for k, v in params.items() if k.startswith("encoder.")})
    tok = to_torch(params["embeddings.tok.weight"], requires_grad=True)
    pos = to_torch(params["embeddings.pos.weight"], requires_grad=True)
    idx = _ids(3, 7, vocab=V)
    ours = gpt(idx)
    it = torch.from_numpy(idx.numpy())
    mask = torch.nn.Transformer.generate_square_subsequent_mask(7)
    theirs = enc(tok[it] + pos[:7], mask=mask, is_causal=True) @ tok.T
    assert_close(ours, theirs)
    w = np.random.default_rng(3).standard_normal(ours.shape).astype(np.float32)
    (ours * cr.from_numpy(w)).sum().backward()
    (theirs * torch.from_numpy(w)).sum().backward()
    assert_close(params["embeddings.tok.weight"].grad, tok.grad, "grad")
    assert_close(params["embeddings.pos.weight"].grad, pos.grad, "grad")
    theirs_p = dict(enc.named_parameters())
    for k in ("layers.0.self_attn.in_proj_weight", "layers.1.linear2.weight", "norm.weight"):
        assert_close(params["encoder." + k].grad, theirs_p[k].grad, "grad")


# ---------------------------------------------------------------- sampling
@pytest.mark.parametrize("name", ["gpt_nano", "char_rnn"])
def test_generate_shapes_and_prefix(name: str) -> None:
    m = models.create_model(name, vocab_size=11, **({"block_size": 6} if name == "gpt_nano" else {}))
    m.train()
    idx = _ids(2, 3, vocab=11)
    out = m.generate(idx, max_new_tokens=8, generator=cr.Generator().manual_seed(0))  # 11 > block_size: cropped
    assert out.shape == (2, 11) and out.dtype == cr.int64 and m.training
    np.testing.assert_array_equal(out.numpy()[:, :3], idx.numpy())
    assert out.numpy().min() >= 0 and out.numpy().max() < 11
    assert m.generate(idx, max_new_tokens=0).shape == (2, 3)


@pytest.mark.parametrize("name", ["gpt_nano", "char_rnn"])
def test_temperature_zero_is_greedy_argmax(name: str) -> None:
    cr.manual_seed(2)
    m = models.create_model(name, vocab_size=11, **({"block_size": 16} if name == "gpt_nano" else {})).eval()
    idx = _ids(2, 3, vocab=11).numpy()
    out = m.generate(cr.from_numpy(idx), max_new_tokens=6, temperature=0.0).numpy()
    ref = idx
    for _ in range(6):  # recompute from the whole context each step (the RNN's generate carries its state instead)
        nxt = m(cr.from_numpy(ref)).detach().numpy()[:, -1].argmax(-1)
        ref = np.concatenate([ref, nxt[:, None]], axis=1)
    np.testing.assert_array_equal(out, ref)
    cold = m.generate(cr.from_numpy(idx), 6, temperature=1e-4, generator=cr.Generator().manual_seed(5)).numpy()
    np.testing.assert_array_equal(cold, ref)
    assert np.array_equal(m.generate(cr.from_numpy(idx), 6, top_k=1).numpy(), ref)


def test_sampling_follows_softmax_of_the_top_k() -> None:
    logits = np.array([[2.0, 1.0, 0.5, 3.0, -1.0, 0.0]])
    rows = np.repeat(logits, 20000, axis=0)
    g = cr.Generator().manual_seed(0)
    draws = sample_next_token(rows, top_k=3, generator=g)
    assert set(np.unique(draws).tolist()) == {0, 1, 3}  # the three largest logits only, each drawn
    p = np.exp(logits[0, [0, 1, 3]])
    p /= p.sum()
    freq = np.bincount(draws, minlength=6)[[0, 1, 3]] / len(draws)
    np.testing.assert_allclose(freq, p, atol=0.015)
    hot = np.bincount(sample_next_token(rows, temperature=100.0, generator=g), minlength=6) / len(rows)
    np.testing.assert_allclose(hot, 1 / 6, atol=0.015)  # a high temperature flattens towards uniform
    with pytest.raises(ValueError, match="temperature must be"):
        sample_next_token(logits, temperature=-1.0)
    with pytest.raises(ValueError, match="top_k must be"):
        sample_next_token(logits, top_k=0)


# ---------------------------------------------------------------- BERT's masking rule
def test_mask_tokens_follows_the_80_10_10_rule() -> None:
    V, mask_id, pad = 50, 50, 0
    ids = np.random.default_rng(0).integers(0, V, size=(400, 500))
    inputs, labels = models.mask_tokens(cr.from_numpy(ids), 0.15, mask_token_id=mask_id, vocab_size=V,
                                        special_token_ids=[pad], generator=cr.Generator().manual_seed(0))
    x, y = inputs.numpy(), labels.numpy()
    assert x.dtype == y.dtype == np.int64 and x.shape == y.shape == ids.shape
    chosen = y != -100
    assert not chosen[ids == pad].any()  # special tokens are never chosen
    np.testing.assert_array_equal(y[chosen], ids[chosen])
    np.testing.assert_array_equal(x[~chosen], ids[~chosen])
    ordinary = ids != pad
    assert abs(chosen[ordinary].mean() - 0.15) < 0.003
    masked = (x == mask_id)[chosen].mean()
    changed = ((x != mask_id) & (x != ids))[chosen].mean()  # random replacements that differ from the original
    kept = (x == ids)[chosen].mean()  # kept, plus random replacements that drew the original token
    assert abs(masked - 0.8) < 0.01
    assert abs(changed - 0.1 * (1 - 1 / V)) < 0.006
    assert abs(kept - (0.1 + 0.1 / V)) < 0.006
    assert x.max() <= mask_id
    with pytest.raises(ValueError, match="mask_prob must be in"):
        models.mask_tokens(ids, 1.5, mask_token_id=mask_id, vocab_size=V)
