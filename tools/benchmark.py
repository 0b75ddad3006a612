"""Time MixedAE against MMPretrain's MAE: ``python tools/benchmark.py
[--arch {tiny,small,base,large}] [--batch 16] [--img-size 224] [--iters 10]
[--amp] [--device cpu] [--breakdown]``."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.benchmark import main  # noqa: E402

if __name__ == '__main__':
    main()
