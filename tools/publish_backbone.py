"""Export the encoder of a MixedAE checkpoint for the model zoo:
``python tools/publish_backbone.py IN_FILE OUT_FILE [--prefix backbone.]
[--timm [--num-heads N]]`` writes ``<OUT_FILE>-<sha256[:8]>.pth`` and, with
``--timm``, ``<OUT_FILE>-timm-<sha256[:8]>.safetensors`` and ``.json``."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.publish_backbone import main  # noqa: E402

if __name__ == '__main__':
    for path in main():
        print(f'wrote {path}')
