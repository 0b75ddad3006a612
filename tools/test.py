"""Test a model: ``python tools/test.py CONFIG CHECKPOINT [--out FILE]
[--cfg-options k=v ...] [--launcher pytorch]``."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.test import main  # noqa: E402

if __name__ == '__main__':
    main()
