"""Pre-train a tiny MixedAE on bundled photographs on the CPU and draw its
reconstruction: ``python tools/demo.py`` (what ``make demo`` runs)."""
import os.path as osp
import sys

# run from a checkout without installing: make `mixedae_mm` importable
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mixedae_mm.tools.demo import main  # noqa: E402

if __name__ == '__main__':
    main()
