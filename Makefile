# The two commands of the README.
#   make demo   set up the environment (once), pre-train a tiny MixedAE on
#               the CPU and draw its reconstruction
#   make test   set up the environment (once) and run the test suite
# Evidence that it learns (docs/proxy.md, "Does it learn?"):
#   make proxy            pre-train, evaluate and fine-tune the main proxy rows
#                         (MAE, MixedAE, naive mixing, floors) on Fashion-MNIST
#   make proxy-ablations  MixedAE's single ablations, into the same table
#   make proxy-quick      the same chain in a few minutes (says little)
PYTHON := .venv/bin/python

.PHONY: setup demo test test-fast proxy proxy-ablations proxy-quick

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

proxy-ablations: setup
	$(PYTHON) tools/proxy.py --family ablations $(PROXY_ARGS)

proxy-quick: setup
	$(PYTHON) tools/proxy.py --quick $(PROXY_ARGS)
