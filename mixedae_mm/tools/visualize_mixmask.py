"""Picture of one MixMask batch: ``tools/visualize_mixmask.py``.

    python tools/visualize_mixmask.py CONFIG IMG1 IMG2 [IMG3 IMG4 ...] \
        --out mixmask.png [--seed 0] [--img-size 224]

Takes the mask settings (``model.mask_cfg``: grid, ratio, mode) and the
crop size of a MixMask config, reads the ``N`` images (``N`` even: image
``i`` is mixed with image ``N - 1 - i``), draws one mask for the batch as
training does and mixes the batch with the algorithm's own ``mix``.  Each
row of the picture is one pair: the two sources, the mask, the mixed view
and its switch view, with ``λ`` (the mask's mean, also printed).  No
checkpoint is needed: mixing does not depend on the weights.
"""
import argparse
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mixedae_mm  # noqa: F401
from ..models.selfsup.mixmask import MixMaskMixin, check_pairable, mix_images
from ..visualization import draw_mixmask, mixmask_batch
from .visualize_reconstruction import load_images

__all__ = ['crop_size', 'mix_batch', 'main']


def crop_size(cfg: Config) -> Optional[int]:
    """The ``RandomResizedCrop`` size of the config's training pipeline
    (searched through wrappers and ``MultiView``), or None."""

    def find(node) -> Optional[int]:
        if isinstance(node, dict):
            if node.get('type') == 'RandomResizedCrop' and 'scale' in node:
                scale = node['scale']
                return scale if isinstance(scale, int) else scale[0]
            children = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            return None
        for child in children:
            size = find(child)
            if size is not None:
                return size
        return None

    return find(cfg.get('train_dataloader', {}))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw one MixMask batch: sources, mask, mixed views, λ')
    parser.add_argument('config', help='a MixMask config (configs/mixmask/)')
    parser.add_argument(
        'images', nargs='+',
        help='an even number of image files: image i is mixed with image '
        'N-1-i')
    parser.add_argument('--out', required=True, help='output PNG file')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the mask')
    parser.add_argument('--img-size', type=int,
                        help='image size (default: the config\'s crop size)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='as in train.py')
    return parser.parse_args(argv)


@torch.no_grad()
def mix_batch(model: MixMaskMixin, images: torch.Tensor, seed: int):
    """Mix a batch as the algorithm's ``mix`` does, under a seeded mask.

    The mask comes from the model's own ``mask_generator`` (its grid,
    ratio and mode) with a generator seeded by ``seed``, the mixed batch
    from :func:`~mixedae_mm.models.selfsup.mixmask.mix_images` (Eq. 1),
    as in training.

    Args:
        model (MixMaskMixin): A built MixMask algorithm.
        images (torch.Tensor): ``(N, C, H, W)``, ``N`` even.
        seed (int): Seed of the mask.

    Returns:
        tuple: ``x_mix`` ``(N, C, H, W)``, ``mask`` ``(H, W)`` and ``lam``.
    """
    check_pairable(len(images))
    generator = torch.Generator().manual_seed(seed)
    mask, lam = model.mask_generator(
        images.shape[-2], images.shape[-1], generator=generator)
    return mix_images(images, mask), mask, lam


def main(argv: Optional[List[str]] = None) -> str:
    """Entry point; returns the path of the written PNG."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if 'mask_cfg' not in cfg.model:
        raise ValueError(
            f'{args.config}: model type {cfg.model.get("type")!r} has no '
            'mask_cfg; pass a MixMask config (configs/mixmask/).')
    num = len(args.images)
    if num < 2 or num % 2:
        raise ValueError(
            f'{num} image(s) given: MixMask mixes image i with image N-1-i, '
            'so pass an even number of images, at least 2.')
    size = args.img_size or crop_size(cfg)
    if size is None:
        raise ValueError(f'{args.config} has no RandomResizedCrop in its '
                         'training pipeline; pass --img-size.')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model).eval()
    images = load_images(args.images, size)
    x_mix, mask, _ = mix_batch(model, images, args.seed)
    result = mixmask_batch(images, mask, x_mix)
    names = [osp.splitext(osp.basename(p))[0] for p in args.images]
    draw_mixmask(result, args.out, cfg.model.mask_cfg.get('grid_size'),
                 names)
    print(f'lambda = mean(M) = {result["lam"]:.4f} (share of image i in '
          f'mixed view i; {cfg.model.mask_cfg.get("grid_size")} cells '
          'per side)')
    return args.out
