"""The brand-voice dataset: reproducible from its seed, and the markers the benchmark scores."""

import orjson

from refinery.adapters.build import DATASET
from refinery.adapters.voice_data import HELD_OUT, TRAIN, examples, voice_markers


def test_the_committed_dataset_is_what_the_seeded_generator_makes() -> None:
    rows = examples()
    assert len(rows) == TRAIN + HELD_OUT and len({r["output"]["name"] for r in rows}) == len(rows)
    assert DATASET.read_bytes() == b"".join(orjson.dumps(r) + b"\n" for r in rows)
    train_names = {r["output"]["name"] for r in rows[:TRAIN]}
    assert not train_names & {r["output"]["name"] for r in rows[TRAIN:]}  # held-out products are new


def test_every_card_shows_the_voice_and_a_plain_card_does_not() -> None:
    assert all(all(voice_markers(r["output"]).values()) for r in examples())
    plain = {"tagline": "The best headlamp ever!", "description": "A bright headlamp you will love!"}
    assert voice_markers(plain) == {
        "tagline_three_words": False,
        "opens_meet_the": False,
        "speaks_to_you": True,
        "never_exclaims": False,
        "signs_off": False,
    }
