# The two commands of the README.
#   make demo   set up the environment (once), pre-train a tiny MixedAE on
#               the CPU and draw its reconstruction
#   make test   set up the environment (once) and run the test suite
# Evidence that it learns (docs/proxy.md, "Does it learn?"):
#   make proxy        pre-train and evaluate every proxy row on Fashion-MNIST
#   make proxy-quick  the same chain in a few minutes (says little)
PYTHON := .venv/bin/python

.PHONY: setup demo test test-fast proxy proxy-quick

setup:
	bash tools/setup_env.sh

demo: setup
	$(PYTHON) tools/demo.py

test: setup
	$(PYTHON) -m pytest tests

test-fast: setup
	$(PYTHON) -m pytest tests -m "not slow"

proxy: setup
	$(PYTHON) tools/proxy.py $(PROXY_ARGS)

proxy-quick: setup
	$(PYTHON) tools/proxy.py --quick --work-dir work_dirs/proxy-quick $(PROXY_ARGS)
