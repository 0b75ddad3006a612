"""Export the encoder of a MixedAE checkpoint for the model zoo:
``python tools/publish_backbone.py IN_FILE OUT_FILE [--prefix backbone.]``
writes ``<OUT_FILE>-<sha256[:8]>.pth``."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.publish_backbone import main  # noqa: E402

if __name__ == '__main__':
    print(f'wrote {main()}')
