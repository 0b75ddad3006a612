"""Picture of one mixed group: ``tools/visualize_reconstruction.py``.

    python tools/visualize_reconstruction.py CONFIG CHECKPOINT \
        IMG1 IMG2 IMG3 IMG4 --out reconstruction.png [--patch 27] [--seed 0]

Gives the ``G = 1 / r`` source images, the mixed input with each patch's
border coloured by its source, every image's reconstruction, and the
homologous attention of one patch (with the keys TopK kept for it).

For a :class:`MixedAEFull` (MixedAE-Full / Full*) the images go through
the config's training pipeline, as in training: each gives ``V``
IoU-bounded views, the ``V * G`` views are laid out as the model lays them
out, and ``--group`` picks which of the ``V`` mixed images to draw; the
sources are named ``'<file> view <v>'``, and ``<out>_views.png`` shows
every image with the boxes of its views (solid: the views in the drawn
mixed image).
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from PIL import Image

import mixedae_mm  # noqa: F401
from mmpretrain.registry import MODELS
from ..models import MixedAEFull
from ..models.utils import random_mixing_mask
from ..visualization import (draw_reconstruction, draw_views,
                             multi_view_group, reconstruct_group)

__all__ = ['load_images', 'main']


def load_images(paths: Sequence[str], size: int) -> torch.Tensor:
    """Read RGB images, resize the short side to ``size``, centre-crop.

    Returns:
        torch.Tensor: ``(len(paths), 3, size, size)`` float in [0, 255].
    """
    images = []
    for path in paths:
        try:
            img = Image.open(path).convert('RGB')
        except (OSError, ValueError) as e:
            raise ValueError(f'cannot read image {path}: {e}') from e
        scale = size / min(img.size)
        img = img.resize((max(size, round(img.width * scale)),
                          max(size, round(img.height * scale))),
                         Image.BICUBIC)
        left, top = (img.width - size) // 2, (img.height - size) // 2
        img = img.crop((left, top, left + size, top + size))
        images.append(
            torch.from_numpy(np.asarray(img, dtype=np.float32)).permute(
                2, 0, 1))
    return torch.stack(images)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw a MixedAE reconstruction of one mixed group')
    parser.add_argument('config', help='pre-training config file')
    parser.add_argument('checkpoint', help='pre-training checkpoint')
    parser.add_argument(
        'images', nargs='+', help='G = 1/r image files (the first G used)')
    parser.add_argument('--out', required=True, help='output PNG file')
    parser.add_argument(
        '--patch',
        type=int,
        default=None,
        help='patch index whose attention is shown (default: the centre)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the mixing mask')
    parser.add_argument(
        '--group',
        type=int,
        default=0,
        help='MixedAE-Full: which mixed image of the views to draw')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='as in train.py')
    return parser.parse_args(argv)


def _train_pipeline(cfg: Config) -> list:
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset  # RepeatDataset and other wrappers
    if 'pipeline' not in dataset:
        raise ValueError('the config has no train_dataloader.dataset '
                         '(...).pipeline to make the views with.')
    return dataset.pipeline


def _multi_view_sources(cfg: Config, model: MixedAEFull,
                        paths: Sequence[str], args: argparse.Namespace):
    """The views of mixed image ``args.group`` and their names; draws
    ``<out>_views.png``."""
    np.random.seed(args.seed)  # the crops and flips
    group = multi_view_group(model, _train_pipeline(cfg), paths, args.group)
    if all(boxes is not None for boxes in group['view_boxes']):
        draw_views(paths, group['view_boxes'],
                   osp.splitext(args.out)[0] + '_views.png',
                   group['mixed_views'])
    return group['images'].to(args.device), group['names']


def main(argv: Optional[List[str]] = None) -> str:
    """Entry point; returns the path of the written PNG."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    # as mmengine's Runner does: the top-level data_preprocessor
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model = model.to(args.device).eval()

    backbone = model.backbone
    G = backbone.num_sources
    if len(args.images) < G:
        raise ValueError(
            f'mixing ratio {backbone.mixing_ratio} mixes G = {G} images, but '
            f'{len(args.images)} were given; pass {G} image files.')
    paths = args.images[:G]
    if isinstance(model, MixedAEFull):
        images, names = _multi_view_sources(cfg, model, paths, args)
    else:
        size = backbone.img_size[0]
        images = load_images(paths, size).to(args.device)
        images = (images - model.data_preprocessor.mean) / \
            model.data_preprocessor.std
        names = [osp.splitext(osp.basename(p))[0] for p in paths]

    num_patches = backbone.num_patches
    h, w = backbone.patch_resolution
    query = (h // 2) * w + w // 2 if args.patch is None else args.patch
    if not 0 <= query < num_patches:
        raise ValueError(
            f'--patch must be in [0, {num_patches}), got {args.patch}.')
    generator = torch.Generator().manual_seed(args.seed)
    mix_mask = random_mixing_mask(
        1, num_patches, G, generator=generator).to(args.device)

    result = reconstruct_group(model, images, mix_mask, query)
    draw_reconstruction(result, model.head.patch_size, query, args.out, names)
    return args.out
