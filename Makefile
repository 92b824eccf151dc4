# simkiosk: the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the kiosk and its tests need (pyscard builds against libpcsclite-dev; the deploy
# tests build releases with Debian's python3 -m venv and its pip; audio guidance speaks through
# speech-dispatcher with espeak-ng, tested against a private daemon on ALSA's null device).
DEB_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev postgresql fonts-noto-cjk fonts-dejavu-core sqlite3 xvfb xauth \
	python3-venv python3-pip \
	libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 \
	libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 \
	chromium chromium-driver util-linux \
	libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 \
	speech-dispatcher speech-dispatcher-espeak-ng espeak-ng libspeechd2

export QT_QPA_PLATFORM ?= offscreen

.PHONY: demo test bench bench-fleet bench-scale lint deps venv translations clean soak

$(STAMP): pyproject.toml constraints.txt
	@$(MAKE) --no-print-directory deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Installs missing Debian packages as root; otherwise prints the command and stops.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi

translations: $(STAMP)
	$(BIN)/python -m ui.i18n build

demo: $(STAMP)
	QT_QPA_PLATFORM= $(BIN)/kiosk run --demo --windowed

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# N simulated kiosks against `kiosk-backend serve` on PostgreSQL, for growing N (about 10 min);
# e.g. make bench-fleet FLEET_ARGS="--steps 10000,30000 --signature v1"; --quick for a smoke run.
FLEET_ARGS ?=
bench-fleet: $(STAMP)
	$(BIN)/python bench/fleet.py $(FLEET_ARGS)

# Ingest and operator queries with 0, 1M and 10M stored events on PostgreSQL (about 10 min; most of it
# building the 10M events); e.g. make bench-scale SCALE_ARGS="--levels 0,1000000".
SCALE_ARGS ?=
bench-scale: $(STAMP)
	$(BIN)/python bench/scale_backend.py $(SCALE_ARGS)

# 1,000 simulated sessions through the real UI offscreen; exits 1 if memory, fds or threads grow.
soak: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/soak.py

lint: $(STAMP)
	$(BIN)/ruff check kiosk devices payment ui backend tests bench
	$(BIN)/mypy
	$(BIN)/mypy ui

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
