# The two commands of the README.
#   make demo   set up the environment (once), pre-train a tiny MixedAE on
#               the CPU and draw its reconstruction
#   make test   set up the environment (once) and run the test suite
PYTHON := .venv/bin/python

.PHONY: setup demo test test-fast

setup:
	bash tools/setup_env.sh

demo: setup
	$(PYTHON) tools/demo.py

test: setup
	$(PYTHON) -m pytest tests

test-fast: setup
	$(PYTHON) -m pytest tests -m "not slow"
