"""Train a model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume]
[--amp] [--cfg-options k=v ...] [--launcher pytorch]``."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.train import main  # noqa: E402

if __name__ == '__main__':
    main()
