"""Does it learn?  Pre-train every proxy row on Fashion-MNIST and evaluate
it: ``python tools/proxy.py [--quick] [--epochs E] [--seeds 0 1 2]
[--methods ...] [--work-dir DIR]`` (what ``make proxy`` runs)."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.proxy import main  # noqa: E402

if __name__ == '__main__':
    main()
