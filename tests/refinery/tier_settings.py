"""The shipped tiers.toml with test settings, for stacks whose path through the cascade must be
deterministic."""

from pathlib import Path

from services.settings import Settings


def tiers_file(workdir: Path, settings: dict[str, dict[str, float]], cleared: tuple[str, ...] = ()) -> Path:
    """Writes workdir/tiers.toml: the shipped tiers with every key named in `settings` or `cleared` removed
    from all tiers, then `settings` set on their tiers. Returns its path."""
    keys = tuple({key for values in settings.values() for key in values} | set(cleared))
    lines = Settings().tiers_file.read_text().splitlines(keepends=True)
    tiers = "".join(line for line in lines if not line.startswith(keys))
    for tier, values in settings.items():
        at = tiers.index(f'name = "{tier}"')
        tiers = tiers[:at] + "".join(f"{key} = {value}\n" for key, value in values.items()) + tiers[at:]
    path = workdir / "tiers.toml"
    path.write_text(tiers)
    return path
