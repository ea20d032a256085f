"""The word index answers as comparing the word with every known word would, in time the text does not set."""

import random
import string

import pytest

from services.critic.known_words import KnownWords, related


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("abcde") for _ in range(rng.randint(1, 9)))  # few letters: many shared stems


def test_the_index_agrees_with_the_pairwise_rule() -> None:
    rng = random.Random(7)
    for _ in range(200):
        words = {_word(rng) for _ in range(rng.randint(0, 30))}
        index = KnownWords(words)
        for _ in range(20):
            word = _word(rng)
            assert index.knows(word) == any(related(word, k) for k in words), (word, sorted(words))


def test_forms_of_a_word() -> None:
    index = KnownWords(["the", "euro", "price", "in", "miles", "from", "lisbon", "january", "does"])
    assert all(index.knows(w) for w in ("euros", "mile", "lisboa", "price", "jan", "janu"))
    assert not any(index.knows(w) for w in ("eu", "lima", "prize", "dollar"))
    # three letters abbreviate only a word two letters longer: "doe" is not "does" ("EUR" is a code)
    assert not any(index.knows(w) for w in ("doe", "eur"))


@pytest.mark.timeout(60)  # a stall guard, not a speed target: scanning every word per lookup takes minutes
def test_a_huge_text_is_indexed_once_and_each_lookup_stays_cheap() -> None:
    rng = random.Random(3)
    text = ["".join(rng.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(100_000)]
    index = KnownWords(text)
    assert all(index.knows(w) for w in text[:5000])
    assert not any(index.knows(w.upper()) for w in text[:5000])
