"""Proof that the language models learn the World English Bible (Debian's sword-text-web), with fixed seeds:
gpt_nano reaches a validation bits-per-character below 2.5 and writes corpus-like text, bert_tiny's masked-LM loss
and char_rnn's next-character loss fall.

One BLAS thread each: these small matrices gain nothing from two, and the CPU budget is shared.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import models
from chainrule.datasets import WorldEnglishBible

pytestmark = pytest.mark.slow
BLOCK = 32


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def corpus() -> tuple[WorldEnglishBible, WorldEnglishBible]:
    return WorldEnglishBible(train=True, block_size=BLOCK), WorldEnglishBible(train=False, block_size=BLOCK)


def _lm_loss(logits: cr.Tensor, targets: cr.Tensor) -> cr.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _eval_loss(model: cr.nn.Module, x: cr.Tensor, y: cr.Tensor) -> float:
    model.eval()
    with cr.no_grad():
        out = float(_lm_loss(model(x), y).item())
    model.train()
    return out


def _train(model: cr.nn.Module, ds: WorldEnglishBible, steps: int, lr: float, batch: int = 32,
           warmup: int = 50) -> None:
    """AdamW on random windows, with a linear warm-up then a cosine decay to 10% of ``lr``."""
    opt = cr.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(0)
    for s in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (s + 1) / warmup) * (0.55 + 0.45 * math.cos(math.pi * s / steps))
        x, y = ds.get_batch(batch, rng)
        loss = _lm_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def _sample_scores(text: str, corpus_text: str, words: set[str]) -> tuple[float, float]:
    """The share of ``text``'s letters inside words of the corpus's common vocabulary, and the share of its
    character bigrams that occur in the corpus."""
    gen = re.findall(r"[A-Za-z]+", text)
    word_share = sum(len(w) for w in gen if w in words) / max(1, sum(len(w) for w in gen))
    seen = {corpus_text[i:i + 2] for i in range(0, len(corpus_text) - 1)}
    pairs = [text[i:i + 2] for i in range(len(text) - 1)]
    return word_share, sum(p in seen for p in pairs) / len(pairs)


def test_gpt_nano_reaches_2_5_bits_per_character_and_writes_like_the_corpus(corpus) -> None:
    train, val = corpus
    tok = train.tokenizer
    assert tok is not None
    V = tok.vocab_size
    cr.manual_seed(0)
    gpt = models.create_model("gpt_nano", vocab_size=V, block_size=BLOCK, n_layer=2, n_head=4, n_embd=64)
    untrained = models.create_model("gpt_nano", vocab_size=V, block_size=BLOCK, n_layer=2, n_head=4, n_embd=64)
    _train(gpt, train, steps=1800, lr=5e-3)

    x, y = val.get_batch(1024, np.random.default_rng(1))
    bpc = _eval_loss(gpt, x, y) / math.log(2)
    assert bpc < 2.5, f"validation bits per character {bpc:.3f}"
    assert _eval_loss(untrained, x, y) / math.log(2) > 6.0  # ~log2(V): the bar is not met by chance

    corpus_text = train.text[:1_000_000]
    counts = Counter(re.findall(r"[A-Za-z]+", corpus_text))
    words = {w for w, c in counts.items() if c >= 5}
    prompt = cr.from_numpy(tok.encode("And God said").reshape(1, -1).repeat(2, axis=0))
    scores = {}
    for name, m in (("trained", gpt), ("untrained", untrained)):
        out = m.generate(prompt, max_new_tokens=300, temperature=0.8, generator=cr.Generator().manual_seed(0))
        text = "".join(tok.decode(row[12:]) for row in out.numpy())
        scores[name] = _sample_scores(text, corpus_text, words)
    (w_tr, b_tr), (w_un, b_un) = scores["trained"], scores["untrained"]
    # measured with these seeds: trained (0.56, 0.997), untrained (0.014, 0.195)
    assert w_tr > 0.4 and b_tr > 0.95, scores
    assert w_un < 0.1 and b_un < 0.5, scores  # the same test fails a random-weight model


def test_bert_tiny_masked_lm_loss_falls(corpus) -> None:
    train, val = corpus
    assert train.tokenizer is not None
    V = train.tokenizer.vocab_size
    mask_id = V  # one extra id for [MASK]
    cr.manual_seed(0)
    bert = models.create_model("bert_tiny", vocab_size=V + 1, block_size=BLOCK, n_embd=64, dropout=0.0)
    g = cr.Generator().manual_seed(0)

    def masked(x: cr.Tensor) -> tuple[cr.Tensor, cr.Tensor]:
        return models.mask_tokens(x, 0.15, mask_token_id=mask_id, vocab_size=V, generator=g)

    xv, yv = masked(val.get_batch(256, np.random.default_rng(1))[0])
    initial = _eval_loss(bert, xv, yv)
    opt = cr.optim.AdamW(bert.parameters(), lr=2e-3, weight_decay=0.0)
    rng = np.random.default_rng(0)
    for _ in range(250):
        x, y = masked(train.get_batch(32, rng)[0])
        loss = _lm_loss(bert(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    final = _eval_loss(bert, xv, yv)
    assert final < initial - 1.0, (initial, final)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_char_rnn_loss_falls(corpus, cell: str) -> None:
    train, val = corpus
    assert train.tokenizer is not None
    V = train.tokenizer.vocab_size
    cr.manual_seed(0)
    rnn = models.create_model("char_rnn", vocab_size=V, cell=cell)
    x, y = val.get_batch(256, np.random.default_rng(1))
    initial = _eval_loss(rnn, x, y)
    _train(rnn, train, steps=150, lr=1e-2, warmup=1)
    final = _eval_loss(rnn, x, y)
    assert final < initial - 1.2, (initial, final)
