# Two commands for a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench clean browser

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "targetbot needs Python 3.11 or newer (found: $$($(PYTHON) --version 2>&1))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Without a BOT_TOKEN (.env or the environment): the real bot in the browser playground.
run: setup
	$(BIN)/targetbot run --playground-if-no-token

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The browser test drives Debian's chromium through Playwright (it never downloads a browser);
# Chinese fonts make its screenshots readable.
CHROMIUM ?= /usr/bin/chromium
CJK_FONT ?= /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
browser:
	@test -x $(CHROMIUM) -a -e $(CJK_FONT) || { \
		if [ "$$(id -u)" = 0 ]; then \
			DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk \
			|| { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; }; \
		else \
			echo "The browser test needs Debian's chromium and fonts-noto-cjk:" \
				"run 'sudo apt-get install chromium fonts-noto-cjk' (skipped until chromium is there)."; \
		fi; \
	}

# The suite on every core (pytest-xdist; TEST_WORKERS=0 runs it in this one process).
TEST_WORKERS ?= auto
test: lint browser
	$(BIN)/pytest -n $(TEST_WORKERS)

bench: setup
	$(BIN)/python -m bench.bench_query
	$(BIN)/python -m bench.bench_fanout
	$(BIN)/python -m bench.bench_import
	$(BIN)/python -m bench.bench_understanding
	$(BIN)/python -m bench.bench_details
	$(BIN)/python -m bench.bench_index
	$(BIN)/python -m bench.bench_reads
	$(BIN)/python -m bench.bench_minute
	$(BIN)/python -m bench.bench_updates

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info
