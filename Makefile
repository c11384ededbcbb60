# The two commands of the README: `make demo` (the main job) and `make test` (every test).
# Each installs what is missing (Debian packages, .venv, the package and its test extras)
# and is quick when nothing is: stamps and incremental builds skip finished work.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
JOBS ?= $(shell nproc)

CXX_SOURCES := $(shell find src tests_cpp -name '*.cpp' -o -name '*.hpp' -o -name CMakeLists.txt) CMakeLists.txt
PY_BUILD_INPUTS := $(shell find src cmake -name '*.cpp' -o -name '*.hpp' -o -name CMakeLists.txt -o -name '*.cmake') CMakeLists.txt pyproject.toml

.PHONY: demo test deps install test-cpp test-asan test-py lint bench-quick bench tsan clean \
	deps-bundled wheels test-wheels docs

# The bulk-fetch job against the package's own local server (no build tree, no network).
demo: install
	$(PY) -m asiofetch demo

# test-wheels builds the bundled libcurl stack (cached per user after the first time) and the
# four wheels, then runs the Python suite on CPython 3.10-3.13 against the installed wheels.
test: test-cpp test-asan test-py lint docs bench-quick test-wheels
	@echo "make test: all suites passed"

# -- set-up ------------------------------------------------------------------------------
deps: $(STAMPS)/deps
$(STAMPS)/deps: scripts/install-deps.sh
	bash scripts/install-deps.sh
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/venv: $(STAMPS)/deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@touch $@

# Build requirements live in the venv so rebuilds skip pip's isolated environment and reuse
# build/wheel-* incrementally.
$(STAMPS)/install: $(STAMPS)/venv $(PY_BUILD_INPUTS) bench/requirements.txt
	$(PY) -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.13"
	$(PY) -m pip install -q --no-build-isolation -e ".[test,cli,dask]"
	$(PY) -m pip install -q -r bench/requirements.txt
	@touch $@

install: $(STAMPS)/install

# -- C++ suites -------------------------------------------------------------------------
build/cpp/build.ninja: $(STAMPS)/deps CMakeLists.txt src/CMakeLists.txt tests_cpp/CMakeLists.txt tests_cpp/fixture/CMakeLists.txt
	cmake -S . -B build/cpp -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DASIOFETCH_BUILD_TESTS=ON -DASIOFETCH_BUILD_PYTHON=OFF

build/asan/build.ninja: $(STAMPS)/deps CMakeLists.txt src/CMakeLists.txt tests_cpp/CMakeLists.txt tests_cpp/fixture/CMakeLists.txt
	cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DASIOFETCH_BUILD_TESTS=ON -DASIOFETCH_BUILD_PYTHON=OFF \
	  -DASIOFETCH_SANITIZE=address,undefined

build/tsan/build.ninja: $(STAMPS)/deps CMakeLists.txt src/CMakeLists.txt tests_cpp/CMakeLists.txt tests_cpp/fixture/CMakeLists.txt
	cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DASIOFETCH_BUILD_TESTS=ON -DASIOFETCH_BUILD_PYTHON=OFF \
	  -DASIOFETCH_SANITIZE=thread

fixture: build/cpp/build.ninja
	cmake --build build/cpp -j $(JOBS) --target asiofetch-fixture-server

test-cpp: build/cpp/build.ninja
	cmake --build build/cpp -j $(JOBS)
	ctest --test-dir build/cpp -j $(JOBS) --output-on-failure

test-asan: build/asan/build.ninja
	cmake --build build/asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build/asan -j $(JOBS) --output-on-failure

# TSan for the engine thread rules; not in `make test` (3x slower), run it when touching the engine.
tsan: build/tsan/build.ninja
	cmake --build build/tsan -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build/tsan -j $(JOBS) --output-on-failure

# -- Python suites ----------------------------------------------------------------------
test-py: install fixture
	ASIOFETCH_FIXTURE_SERVER=$(CURDIR)/build/cpp/tests_cpp/fixture/asiofetch-fixture-server \
	  $(PY) -m pytest -q -p no:cacheprovider

lint: install
	$(PY) -m ruff check python tests_py bench scripts examples
	$(PY) -m ruff format --check python tests_py bench scripts examples
	$(PY) -m mypy
	$(PY) scripts/check_imports.py --deferred python/asiofetch
	$(PY) scripts/gen_core_stub.py --check

# -- wheels -----------------------------------------------------------------------------
# The static libcurl stack (OpenSSL, nghttp2, zlib, brotli, zstd) from Debian's source
# packages, cached per user (~/.cache/asiofetch-deps) so every clone on the machine reuses it.
deps-bundled: $(STAMPS)/deps
	bash scripts/build-deps.sh

# One manylinux wheel per CPython 3.10-3.13 (pyenv) into dist/, `auditwheel show` of each.
wheels: $(STAMPS)/deps
	bash scripts/build-wheels.sh

# Each wheel in a clean venv of its Python: the pytest suite against the installed copy,
# and the smoke test with the system libcurl and CA store hidden (unshare -m).
test-wheels: wheels fixture
	bash scripts/test-wheels.sh

# -- docs -------------------------------------------------------------------------------
# mkdocs + mkdocstrings (API reference from the docstrings), warnings as errors -> build/site.
$(STAMPS)/docs-venv: $(STAMPS)/deps
	test -x build/docs-venv/bin/python || $(PYTHON) -m venv build/docs-venv
	build/docs-venv/bin/python -m pip install -q "mkdocs>=1.6" "mkdocstrings[python]>=0.26" "pymdown-extensions>=10"
	@mkdir -p $(STAMPS) && touch $@

docs: $(STAMPS)/docs-venv
	build/docs-venv/bin/mkdocs build --strict -q

# -- benchmarks --------------------------------------------------------------------------
bench-quick: install fixture
	$(PY) -m bench.run --quick --out build/bench-quick --fixture build/cpp/tests_cpp/fixture/asiofetch-fixture-server

bench: install fixture
	$(PY) -m bench.run --fixture build/cpp/tests_cpp/fixture/asiofetch-fixture-server

clean:
	rm -rf build dist $(STAMPS)
