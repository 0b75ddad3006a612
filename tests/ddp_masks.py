"""Train the shipped tiny MixedAE and MixMask configs *with their own
randomness settings* for 2 iterations, twice, and record the masks each rank
draws.  Used by ``test_distributed.py`` (not collected by pytest itself).

    torchrun --standalone --nproc_per_node 2 tests/ddp_masks.py OUT_DIR

writes ``OUT_DIR/masks_{mixedae,mixmask}_{a,b}_rank{r}.pth``; the data
(``OUT_DIR/data/train``) is written by the test beforehand.
"""
import os.path as osp
import sys

import torch
import torch.distributed as dist

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tests'))

import mixedae_mm.models.backbones.mixedae_vit as mixedae_vit  # noqa: E402
from conftest import TINY_CONFIG, tiny_runner_cfg  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mixedae_mm.models.utils import MixMaskGenerator  # noqa: E402
from mixedae_mm.tools.train import (finish_process_group,  # noqa: E402
                                    init_cpu_process_group, set_launcher)

CONFIGS = {
    'mixedae': TINY_CONFIG,
    'mixmask': osp.join(ROOT, 'configs', 'mixmask',
                        'mixmask-mocov2_resnet18-tiny_1xb16-20i_demo-32px.py')
}
MASKS = []
_draw_mixedae = mixedae_vit.random_mixing_mask
_draw_mixmask = MixMaskGenerator.grid


def _record_mixedae(*args, **kwargs):
    mask = _draw_mixedae(*args, **kwargs)
    MASKS.append(mask.clone())
    return mask


def _record_mixmask(self, *args, **kwargs):
    grid = _draw_mixmask(self, *args, **kwargs)
    MASKS.append(grid.clone())
    return grid


mixedae_vit.random_mixing_mask = _record_mixedae
MixMaskGenerator.grid = _record_mixmask


def train(config: str, out: str, work: str) -> list:
    """2 iterations of ``config`` as shipped (its ``randomness`` kept)."""
    cfg = tiny_runner_cfg(work, osp.join(out, 'data'), max_iters=2,
                          config=config)
    set_launcher(cfg, 'pytorch')  # gloo and CPU DDP without CUDA
    init_cpu_process_group(cfg)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=100, by_epoch=False, save_last=False)
    MASKS.clear()
    Runner.from_cfg(cfg).train()
    return list(MASKS)


def main(out: str) -> None:
    torch.set_num_threads(1)
    for name, config in CONFIGS.items():
        for attempt in 'ab':
            masks = train(config, out, osp.join(out, f'{name}_{attempt}'))
            torch.save(masks, osp.join(
                out, f'masks_{name}_{attempt}_rank{dist.get_rank()}.pth'))
    finish_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
