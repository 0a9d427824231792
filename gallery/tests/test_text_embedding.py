"""The sentence model in numpy: WordPiece as the model's own tokenizer splits,
unit-length vectors, and nearness that follows meaning."""

from __future__ import annotations

import numpy as np
import pytest

from gallery import text_embedding

# Token ids from the reference tokenizer (Hugging Face `tokenizers` 0.23.3
# loading the package's tokenizer.json), recorded once.
REFERENCE_IDS = {
    "A cup of espresso. food, drink, espresso, cup": [
        101, 1037, 2452, 1997, 9686, 20110, 2080, 1012, 2833, 1010, 4392, 1010,
        9686, 20110, 2080, 1010, 2452, 102,
    ],
    "Héllo, WORLD! It's 3.5°C — naïve café_au_lait (test) 東京": [
        101, 7592, 1010, 2088, 999, 2009, 1005, 1055, 1017, 1012, 1019, 7737,
        2278, 1517, 15743, 7668, 1035, 8740, 1035, 21110, 2102, 1006, 3231, 1007,
        1879, 1755, 102,
    ],
    "x" * 120 + " supercalifragilisticexpialidocious": [
        101, 100, 3565, 9289, 10128, 29181, 24411, 4588, 10288, 19312, 21273,
        10085, 6313, 102,
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return text_embedding.MiniLM(text_embedding.model_dir())


@pytest.mark.parametrize("text", sorted(REFERENCE_IDS))
def test_wordpiece_matches_the_reference_tokenizer(model, text):
    assert model.tokenizer.encode(text) == REFERENCE_IDS[text]


def test_long_texts_are_cut_to_the_token_limit(model):
    ids = model.tokenizer.encode("cat " * 500)
    assert len(ids) == text_embedding.MAX_TOKENS
    assert ids[-1] == model.tokenizer.sep


def test_embeddings_are_unit_length_and_deterministic(model):
    a = model.embed("A cup of espresso")
    assert a.shape == (text_embedding.DIM,)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(a, model.embed("A cup of espresso"))


@pytest.mark.parametrize(
    ("query", "near", "far"),
    [
        ("kitten", "A cat. animal, pet", "A cup of espresso. drink, food"),
        ("hot beverage", "A cup of espresso. drink, food", "A cat. animal, pet"),
        ("red motorbike", "A motorcycle. vehicle. red, gray", "A person. face"),
    ],
)
def test_nearness_follows_meaning(model, query, near, far):
    q = model.embed(query)
    assert q @ model.embed(near) > q @ model.embed(far) + 0.1


def test_gelu_uses_an_accurate_erf():
    import math

    x = np.linspace(-6, 6, 1001)
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(text_embedding._erf(x), expected, atol=2e-7)
