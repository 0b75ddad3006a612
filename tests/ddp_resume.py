"""Train the tiny MixedAE with mmengine's Runner, save, resume; record the
mixing masks every rank draws.  Used by ``test_distributed.py`` (not
collected by pytest itself).

    torchrun --standalone --nproc_per_node 2 tests/ddp_resume.py two OUT_DIR
        4 iterations uninterrupted (checkpoints at 2 and 4), then a resume
        from iteration 2 to 4; writes OUT_DIR/masks_{full,resumed}_rank{r}.pth
    python tests/ddp_resume.py one OUT_DIR
        twice a single-process resume of the 2-process checkpoint; writes
        OUT_DIR/masks_reseed_{a,b}.pth

The data (``OUT_DIR/data/train``) is written by the test beforehand.  Each
process takes 8 of the 16 images, so every iteration starts a new pass over
its share of the data.
"""
import os
import os.path as osp
import sys

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tests'))

import mixedae_mm.models.backbones.mixedae_vit as mixedae_vit  # noqa: E402
from conftest import tiny_runner_cfg  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mixedae_mm.tools.train import (finish_process_group,  # noqa: E402
                                    init_cpu_process_group, set_launcher)

_draw = mixedae_vit.random_mixing_mask
MASKS = []


def _recording_draw(*args, **kwargs):
    mask = _draw(*args, **kwargs)
    MASKS.append(mask.clone())
    return mask


mixedae_vit.random_mixing_mask = _recording_draw


def train(out: str, work: str, launcher: str, **overrides) -> list:
    cfg = tiny_runner_cfg(work, osp.join(out, 'data'), max_iters=4,
                          **overrides)
    set_launcher(cfg, launcher)  # gloo and CPU DDP without CUDA
    init_cpu_process_group(cfg)
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.dataset.times = 1
    cfg.default_hooks.checkpoint.interval = 2
    cfg.randomness = dict(seed=0, diff_rank_seed=True)
    MASKS.clear()
    Runner.from_cfg(cfg).train()
    return list(MASKS)


def main(mode: str, out: str) -> None:
    torch.set_num_threads(1)
    full = osp.join(out, 'full')
    ckpt = osp.join(full, 'iter_2.pth')
    if mode == 'two':
        rank = int(os.environ['RANK'])
        masks = train(out, full, 'pytorch')
        torch.save(masks, osp.join(out, f'masks_full_rank{rank}.pth'))
        masks = train(out, osp.join(out, 'resumed'), 'pytorch', resume=True,
                      load_from=ckpt)
        torch.save(masks, osp.join(out, f'masks_resumed_rank{rank}.pth'))
        finish_process_group()
    else:
        for name in 'ab':
            masks = train(out, osp.join(out, f'reseed_{name}'), 'none',
                          resume=True, load_from=ckpt)
            torch.save(masks, osp.join(out, f'masks_reseed_{name}.pth'))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
