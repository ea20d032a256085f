"""PEFT adapter → GGUF LoRA, by llama.cpp's own converter (`convert_lora_to_gguf.py`), taken from the
llama-cpp-python source distribution of the installed version (PyPI; cached under build/) so that the
converter and the runtime that loads its output are the same llama.cpp."""

import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

CONVERTER_PARTS = ("convert_lora_to_gguf.py", "convert_hf_to_gguf.py", "conversion/", "gguf-py/")


def llama_cpp_source(cache: Path) -> Path:
    """vendor/llama.cpp of the installed llama-cpp-python's sdist (downloaded once)."""
    release = version("llama-cpp-python")
    root = cache / f"llama_cpp_python-{release}" / "vendor" / "llama.cpp"
    if (root / "convert_lora_to_gguf.py").is_file():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / f"llama_cpp_python-{release}.tar.gz"
    if not sdist.is_file():
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, f"llama-cpp-python=={release}", "-d", str(cache)], check=True)
    prefix = f"llama_cpp_python-{release}/vendor/llama.cpp/"
    with tarfile.open(sdist) as archive:
        wanted = [m for m in archive.getmembers() if m.name.startswith(prefix) and _wanted(m.name[len(prefix) :])]
        archive.extractall(cache, members=wanted, filter="data")
    return root


def _wanted(relative: str) -> bool:
    return any(relative == part or (part.endswith("/") and relative.startswith(part)) for part in CONVERTER_PARTS)


def to_gguf(adapter_dir: Path, out_file: Path, cache: Path) -> Path:
    """Convert the PEFT adapter in `adapter_dir` (with the base config in `adapter_dir/base`) to f16 GGUF."""
    source = llama_cpp_source(cache)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(source / "convert_lora_to_gguf.py"), "--base", str(adapter_dir / "base")]
    command += ["--outtype", "f16", "--outfile", str(out_file), str(adapter_dir)]
    env = {"PYTHONPATH": f"{source / 'gguf-py'}:{source}", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run(command, check=True, env=env)
    return out_file
