"""Draw one MixMask batch: ``python tools/visualize_mixmask.py CONFIG IMG1
IMG2 [IMG3 IMG4 ...] --out PNG [--seed S] [--img-size S]``."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.visualize_mixmask import main  # noqa: E402

if __name__ == '__main__':
    print(f'wrote {main()}')
