"""The house rules, checked: imports only run downward through the layers, stages do not import each
other, no module is over 250 lines, and no app loads a model at import."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
STAGES = ("classifier", "generator", "critic", "refiner")
# Lowest first: a module may import its own layer or a lower one, never a higher one.
LAYERS = [
    ("schemas",),
    ("services.settings",),
    ("services.documents", "services.drift"),  # pure logic over documents and Result streams
    ("services.inference",),
    ("services.runtime",),
    tuple(f"services.{s}" for s in STAGES),
    ("services.pipeline", "services.__main__"),
    ("refinery",),
    ("bench",),
]
MAX_LINES = 250


def layer_of(module: str) -> int | None:
    if module == "services":  # the namespace itself, empty
        return 0
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def modules() -> list[tuple[str, Path]]:
    found = []
    for top in ("schemas", "services", "refinery"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found.append((name, path))
    return found


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" and parts[1] in STAGES else None


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_run_downward_only(module: str, path: Path) -> None:
    rank = layer_of(module)
    assert rank is not None, f"{module} is in no layer"
    for imported in imports(path):
        target = layer_of(imported)
        if target is None:
            continue  # a library
        assert target <= rank, f"{module} (layer {rank}) imports {imported} (layer {target})"
        if stage_of(module) and stage_of(imported):
            assert stage_of(module) == stage_of(imported), f"stage {module} imports another stage: {imported}"


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_modules_stay_short(module: str, path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES, f"{module} is over {MAX_LINES} lines: split it"


def test_apps_load_nothing_at_import() -> None:
    """An app module only defines `create_app`: models load in its start-up hooks."""
    for stage in STAGES:
        tree = ast.parse((ROOT / "services" / stage / "app.py").read_text())
        logger = "logging.getLogger("
        calls = [
            n
            for n in tree.body
            if isinstance(n, ast.Expr | ast.Assign) and any(isinstance(c, ast.Call) for c in ast.walk(n))
        ]
        calls = [n for n in calls if not ast.unparse(n).split("= ", 1)[-1].startswith(logger)]
        assert not calls, f"services/{stage}/app.py runs code at import: {ast.unparse(calls[0])[:80]}"
