"""Draw a MixedAE reconstruction: ``python tools/visualize_reconstruction.py
CONFIG CHECKPOINT IMG1 ... IMG_G --out PNG [--patch IDX] [--seed S]``."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.visualize_reconstruction import main  # noqa: E402

if __name__ == '__main__':
    print(f'wrote {main()}')
