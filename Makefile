# makemore: `make lab` to learn, `make test` to check. Both run `setup` first (idempotent).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8888
# One kernel path for everything make runs (the Python references, `cargo test`, the notebooks'
# kernels): scripts/cpu_pins.py says which variables and why; a value already set wins.
$(foreach pin,$(shell python3 scripts/cpu_pins.py),$(eval export $(pin)))

.PHONY: setup data lab notebooks test reference reference-full test-rust lint test-cargo test-notebooks test-kernel test-portable test-browser test-site bench bench-bpe bench-gpt2 check-hf site clean-evcxr

## setup: .venv (torch 2.13, JupyterLab), evcxr_jupyter 0.22.0, data/names.txt, the kernel, pre-warm
setup:
	@bash scripts/setup.sh

## data: fetch data/names.txt, data/tinyshakespeare.txt and data/taylorswift.txt (the bpe tests') and check their sha256
data:
	@bash data/fetch.sh
	@bash data/fetch.sh tinyshakespeare.txt
	@bash data/fetch.sh taylorswift.txt

## lab: JupyterLab on notebooks/ with the "Rust (makemore)" kernel, on 127.0.0.1, token auth on;
##   opens notebooks/00_* (else 01_*) and prints the URL with its token in a box
lab: setup
	PORT=$(PORT) $(PY) scripts/lab.py

## notebooks: re-execute every notebook top to bottom and save it with its outputs
notebooks: setup
	$(PY) tests/notebooks.py --write

## reference: run the lecture's Python code and makemore.py on the same torch -> target/*reference.json
reference: target/micrograd_reference.json target/reference.json target/makemore_reference.json target/part2_reference.json target/part2_exercises_reference.json target/part3_reference.json target/part4_reference.json target/part5_reference.json target/gpt_reference.json target/tokenizer_reference.json target/gpt2_reference.json target/gpt2_final_reference.json
target/micrograd_reference.json: tests/reference/micrograd.py requirements.txt
	@mkdir -p target
	$(PY) tests/reference/micrograd.py $@
# the tokenizer lecture (part 7): its BPE loops, minbpe and tiktoken on taylorswift.txt (~40 s)
MINBPE := $(patsubst %.sha256,%,$(wildcard data/minbpe/*/*.py.sha256))
target/tokenizer_reference.json: tests/reference/tokenizer.py tests/reference/sentencepiece_bpe.py tests/reference/offline.py data/taylorswift.txt $(MINBPE) requirements.txt
	@mkdir -p target
	$(PY) tests/reference/tokenizer.py data/taylorswift.txt $@
target/reference.json: tests/reference/reference.py tests/reference/lecture.py data/names.txt requirements.txt
	@mkdir -p target
	cd tests/reference && ../../$(PY) reference.py ../../data/names.txt ../../target/reference.json
# parts 2-4 train their final nets 200,000 steps (part 2's exercises three of them, after a search
# of four sizes at 30,000): tests run them (and the notebooks) at MLP_TEST_STEPS, the search at
# SEARCH_TEST_STEPS; the full runs' values are committed (reference-full)
MLP_TEST_STEPS := 2000
SEARCH_TEST_STEPS := 2000
target/part2_reference.json: tests/reference/part2.py data/names.txt requirements.txt
	@mkdir -p target
	$(PY) tests/reference/part2.py data/names.txt $@ --steps $(MLP_TEST_STEPS)
target/part2_exercises_reference.json: tests/reference/part2_exercises.py tests/reference/part2.py data/names.txt requirements.txt
	@mkdir -p target
	cd tests/reference && ../../$(PY) part2_exercises.py ../../data/names.txt ../../$@ --steps $(MLP_TEST_STEPS) --search-steps $(SEARCH_TEST_STEPS)
target/part3_reference.json: tests/reference/part3.py tests/reference/part2.py data/names.txt requirements.txt
	@mkdir -p target
	$(PY) tests/reference/part3.py data/names.txt $@ --steps $(MLP_TEST_STEPS)
target/part4_reference.json: tests/reference/part4.py tests/reference/part3.py tests/reference/part2.py data/names.txt requirements.txt
	@mkdir -p target
	$(PY) tests/reference/part4.py data/names.txt $@ --steps $(MLP_TEST_STEPS)
# part 5's five runs take ~15 min of Python at the lecture's 200,000 steps: tests run them (and the
# notebook) at PART5_TEST_STEPS; the full runs' values are committed (reference-full)
PART5_TEST_STEPS := 2000
target/part5_reference.json: tests/reference/part5.py tests/reference/part2.py data/names.txt requirements.txt
	@mkdir -p target
	cd tests/reference && ../../$(PY) part5.py ../../data/names.txt ../../$@ --steps $(PART5_TEST_STEPS)

## reference-full: parts 2-5's runs at the lecture's 200,000 steps -> tests/reference/part2_full.json,
##   part2_exercises_full.json, part3_full.json, part4_full.json, part5_full.json, the GPT lecture's
##   at its 5,000 -> tests/reference/gpt_full.json, the GPT-2 lecture's 124M for 50 steps ->
##   tests/reference/gpt2_full.json, its final loop at a small size for 300 steps ->
##   tests/reference/gpt2_final_full.json (committed: what the committed notebooks' outputs and
##   `MAKEMORE_GPT2_FULL=1 cargo test --test gpt2` are checked against)
reference-full: setup data/tinyshakespeare.txt
	$(PY) tests/reference/part2.py data/names.txt tests/reference/part2_full.json
	cd tests/reference && ../../$(PY) part2_exercises.py ../../data/names.txt part2_exercises_full.json
	$(PY) tests/reference/part3.py data/names.txt tests/reference/part3_full.json
	$(PY) tests/reference/part4.py data/names.txt tests/reference/part4_full.json
	cd tests/reference && ../../$(PY) part5.py ../../data/names.txt part5_full.json
	$(PY) tests/reference/gpt.py data/tinyshakespeare.txt tests/reference/gpt_full.json
	$(PY) tests/reference/gpt2.py data/tinyshakespeare.txt tests/reference/gpt2_full.json
	$(PY) tests/reference/gpt2_final.py data/tinyshakespeare.txt tests/reference/gpt2_final_full.json --steps 300 --eval-every 50

# the GPT lecture's chapter 4 trains six models 5,000 steps each (~10 min of Python): tests run
# them (and the notebook) at GPT_TEST_STEPS; the full run's values are committed (reference-full)
GPT_TEST_STEPS := 100
target/gpt_reference.json: tests/reference/gpt.py data/tinyshakespeare.txt requirements.txt
	@mkdir -p target
	$(PY) tests/reference/gpt.py data/tinyshakespeare.txt $@ --steps $(GPT_TEST_STEPS)
data/tinyshakespeare.txt: data/tinyshakespeare.txt.sha256
	@bash data/fetch.sh tinyshakespeare.txt
data/taylorswift.txt: data/taylorswift.txt.sha256
	@bash data/fetch.sh taylorswift.txt
data/minbpe/%: data/minbpe/%.sha256
	@bash data/fetch.sh minbpe/$*
# the GPT-2 lecture: its code at the commits the tests run (build-nanogpt's train_gpt2.py): the
# 124M's loop at GPT2_TEST_STEPS (a second a step); its 50 steps are committed (reference-full)
GPT2_TEST_STEPS := 5
NANOGPT := $(patsubst %.sha256,%,$(wildcard data/build-nanogpt/steps/*.py.sha256))
data/build-nanogpt/%: data/build-nanogpt/%.sha256
	@bash data/fetch.sh build-nanogpt/$*
target/gpt2_reference.json: tests/reference/gpt2.py tests/reference/offline.py data/tinyshakespeare.txt $(NANOGPT) requirements.txt
	@mkdir -p target
	$(PY) tests/reference/gpt2.py data/tinyshakespeare.txt $@ --steps $(GPT2_TEST_STEPS)
# its last code (fineweb.py's shards, hellaswag.py, the final loop at a small size; ~10 s)
NANOGPT_LAST := $(patsubst %.sha256,%,$(wildcard data/build-nanogpt/*.sha256))
target/gpt2_final_reference.json: tests/reference/gpt2_final.py tests/reference/offline.py tests/fixtures/hellaswag_mini.jsonl data/tinyshakespeare.txt $(NANOGPT) $(NANOGPT_LAST) requirements.txt
	@mkdir -p target
	$(PY) tests/reference/gpt2_final.py data/tinyshakespeare.txt $@

target/makemore_reference.json: tests/reference/makemore_ref.py data/makemore.py.sha256 data/names.txt requirements.txt
	@mkdir -p target
	@bash data/fetch.sh makemore.py
	$(PY) tests/reference/makemore_ref.py data/makemore.py data/names.txt $@

## test: format, lints, docs' links, Rust tests (golden values from the Python reference), notebooks,
##   setup and kernel without GNU tools, browser, site. The references and the lints run side by
##   side (neither needs the other; torch's threads wait without spinning, as two busy processes
##   on two cores would otherwise slow each other about tenfold), then the rest in order.
test: setup
	@OMP_WAIT_POLICY=PASSIVE $(MAKE) --no-print-directory -j2 reference lint
	@$(MAKE) --no-print-directory test-cargo test-notebooks test-kernel test-portable test-browser test-site

test-rust: lint test-cargo

lint:
	cargo fmt --check
	cargo clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --lib --quiet

test-cargo: reference data/taylorswift.txt
	cargo test --workspace

test-notebooks:
	$(PY) tests/notebooks.py --check

## test-kernel: every line a cell prints reaches it before idle, with a busy loop on every core;
##   Interrupt stops a loop of steps(n) and keeps the variables, and ends a cell stuck elsewhere
test-kernel: setup
	$(PY) tests/kernel_output.py
	$(PY) tests/kernel_interrupt.py

## test-portable: setup and the kernel with flock, sha256sum, ... hidden from PATH (as on macOS)
test-portable: setup
	$(PY) tests/portable.py

## test-browser: JupyterLab in headless chromium runs notebooks 02 and 06 through its UI
##   (installs Debian's chromium and the pinned playwright-core when missing; SKIPPED if it cannot)
test-browser: setup
	bash tests/browser/run.sh

test-site: site
	$(PY) scripts/site.py --check

## site: every executed notebook as HTML (images embedded) plus an index -> target/site/
site:
	@[ -x $(PY) ] || { echo "site: no $(PY): run make setup first" >&2; exit 1; }
	$(PY) scripts/site.py

## bench: the lecture's Python against the crate, side by side, with ratios; then bench-bpe
bench: setup reference
	bash scripts/bench.sh
	@$(MAKE) --no-print-directory bench-bpe bench-gpt2

## check-hf: Hugging Face's transformers (installed into .venv here, not by setup) loads a GPT-2
##   checkpoint `makemore gpt2 train` writes, with the lecture's GPT's logits
check-hf: setup data/tinyshakespeare.txt $(NANOGPT) $(NANOGPT_LAST)
	$(PY) -m pip install -q --disable-pip-version-check transformers==5.25.0
	cargo build --release --quiet --bin makemore --bin makemore-torch
	rm -rf target/hf_check
	target/release/makemore gpt2 prepare -i data/tinyshakespeare.txt -o target/hf_check/shards --shard-size 100000
	target/release/makemore gpt2 train --data target/hf_check/shards --log-dir target/hf_check/log -B 4 -T 32 \
	  --total-batch-size 128 --max-steps 2 --val-steps 1 --n-layer 2 --n-head 4 --n-embd 64 --block-size 64 > /dev/null
	$(PY) tests/reference/hf_check.py target/hf_check/log/model_00001

## bench-gpt2: `makemore gpt2 prepare` and `train` against build-nanogpt's fineweb.py and final
##   train_gpt2.py, side by side (MB/s, tok/s, the same lines, MFU against this CPU's matmul peak)
bench-gpt2: setup target/gpt2_final_reference.json
	cargo build --release --quiet --bin makemore --bin makemore-torch
	$(PY) scripts/bench_gpt2.py target/release/makemore $(or $(STEPS),6)

## bench-bpe: BPE training and GPT-4 encoding, whole processes, against rustbpe, HF tokenizers,
##   minbpe and tiktoken (installs requirements-bench.txt into .venv first)
bench-bpe: setup data/tinyshakespeare.txt $(MINBPE)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-bench.txt
	cargo build --release --quiet --bin makemore
	$(PY) scripts/bench_bpe.py target/release/makemore $(or $(REPS),3)

## clean-evcxr: forget the kernel's pre-warmed build dirs (setup makes them again)
clean-evcxr:
	rm -rf target/evcxr
