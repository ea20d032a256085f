"""Split model files: assembled once from their part packages, refused unless size and sha256 match."""

import hashlib
import sys

import pytest

from services.inference.model_files import ModelFileError, assembled
from services.inference.tiers import Tier

PARTS = [b"GGUF" + bytes(range(200)), bytes(range(255, 0, -1)) * 3]


@pytest.fixture
def part_packages(tmp_path, monkeypatch):
    """Two installed 'part wheels' holding the halves of one file, as the Qwen tiers ship."""
    for index, data in enumerate(PARTS, start=1):
        package = tmp_path / "site" / f"fake_part{index}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{index:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield [f"fake_part{i}/data/part{i:02d}.bin" for i in (1, 2)]
    for index in (1, 2):
        sys.modules.pop(f"fake_part{index}", None)


WHOLE = b"".join(PARTS)
SHA = hashlib.sha256(WHOLE).hexdigest()


def test_parts_are_assembled_in_order_and_checked_once(part_packages, tmp_path) -> None:
    target = assembled(part_packages, tmp_path / "cache" / "model.gguf", SHA, len(WHOLE))
    assert target.read_bytes() == WHOLE
    assert assembled(part_packages, target, SHA, len(WHOLE)) == target  # the stamp: no second hash


def test_a_wrong_checksum_is_refused_and_leaves_no_file(part_packages, tmp_path) -> None:
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(ModelFileError, match=r"sha256 .* expected 0+: refused"):
        assembled(part_packages, target, "0" * 64)
    assert not target.exists() and not list(target.parent.iterdir())


def test_a_partial_file_is_refused_by_its_size(part_packages, tmp_path) -> None:
    with pytest.raises(ModelFileError, match=f"expected {len(WHOLE) + 1}: refused"):
        assembled(part_packages, tmp_path / "model.gguf", SHA, len(WHOLE) + 1)


def test_a_file_changed_after_assembly_is_refused(part_packages, tmp_path) -> None:
    target = assembled(part_packages, tmp_path / "model.gguf", SHA, len(WHOLE))
    target.write_bytes(WHOLE[:-1] + b"X")  # same size, other bytes, new mtime: the stamp no longer matches
    with pytest.raises(ModelFileError, match="refused"):
        assembled(part_packages, target, SHA, len(WHOLE))


def test_a_missing_part_package_is_named(tmp_path) -> None:
    with pytest.raises(ModelFileError, match="'no_such_part' is not installed"):
        assembled(["no_such_part/data/part01.bin"], tmp_path / "model.gguf", SHA)


def test_a_tier_with_parts_but_no_checksum_is_refused(tmp_path) -> None:
    tier = Tier(
        name="t",
        model_file="m.gguf",
        model_parts=["x/data/part01.bin"],
        model_name="m",
        params_m=1,
        price_per_1k_input=0.1,
        price_per_1k_output=0.1,
    )
    with pytest.raises(ModelFileError, match="need model_sha256"):
        tier.model_path(tmp_path)


def test_the_shipped_qwen_tiers_assemble_to_their_published_checksums() -> None:
    from services.inference.tiers import load_tiers
    from services.settings import Settings

    settings = Settings()
    for name in ("medium", "large"):
        tier = load_tiers(settings.tiers_file)[name]
        path = tier.model_path(settings.model_cache)
        assert path.stat().st_size == tier.model_bytes and tier.model_sha256
