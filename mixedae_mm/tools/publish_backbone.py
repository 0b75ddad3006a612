"""Export the encoder of a MixedAE checkpoint: ``tools/publish_backbone.py``.

    python tools/publish_backbone.py IN_FILE OUT_FILE [--prefix backbone.]

Writes ``<OUT_FILE without .pth>-<first 8 hex digits of its sha256>.pth``
(OpenMMLab's ``publish_model`` naming) holding ``meta`` and a
``state_dict`` with the keys of mmpretrain's ``VisionTransformer``: the
``backbone.*`` weights without the prefix and without the pre-training-only
ones (:attr:`MixedAEViT.PRETRAIN_ONLY_KEYS`); the decoder, the optimizer
and the message hub are left out.  The file holds only tensors and plain
Python values, so ``torch.load(weights_only=True)`` reads it, and a
downstream config loads it with ``init_cfg=dict(type='Pretrained',
checkpoint=FILE)`` (no prefix).
"""
import argparse
import hashlib
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.runner import CheckpointLoader

from ..models import MixedAEViT
from ..transfer import backbone_state_dict
from ..version import __version__

__all__ = ['publish_backbone', 'parse_args', 'main']

#: Entries of the source checkpoint's ``meta`` kept in the published one.
KEPT_META = ('epoch', 'iter', 'cfg', 'mmengine_version')


def _sha256(filename: str) -> str:
    digest = hashlib.sha256()
    with open(filename, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def publish_backbone(in_file: str,
                     out_file: str,
                     prefix: str = 'backbone.') -> str:
    """Write the backbone of ``in_file`` for the model zoo.

    Args:
        in_file (str): A MixedAE pre-training checkpoint (from mmengine's
            Runner) or any checkpoint with ``prefix`` keys.
        out_file (str): The published file's name before the hash, e.g.
            ``mixedae_vit-base-p16_1600e.pth``.
        prefix (str): The encoder's prefix. Defaults to ``'backbone.'``.

    Returns:
        str: The path written, ``<out_file stem>-<sha256[:8]>.pth``.
    """
    checkpoint = CheckpointLoader.load_checkpoint(in_file, map_location='cpu')
    state_dict = backbone_state_dict(checkpoint, prefix)
    dropped = [k for k in MixedAEViT.PRETRAIN_ONLY_KEYS if k in state_dict]
    for key in dropped:
        del state_dict[key]
    source_meta = checkpoint.get('meta') or {}
    meta = {k: source_meta[k] for k in KEPT_META if k in source_meta}
    meta.update(
        source=osp.basename(in_file),
        dropped_keys=dropped,
        mixedae_mm_version=__version__)

    stem = out_file[:-len('.pth')] if out_file.endswith('.pth') else out_file
    if osp.dirname(stem):
        os.makedirs(osp.dirname(stem), exist_ok=True)
    tmp_file = stem + '.pth.tmp'
    torch.save(dict(meta=meta, state_dict=state_dict), tmp_file)
    final_file = f'{stem}-{_sha256(tmp_file)[:8]}.pth'
    os.replace(tmp_file, final_file)
    return final_file


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the arguments of ``tools/publish_backbone.py``."""
    parser = argparse.ArgumentParser(
        description='Export the encoder of a MixedAE checkpoint for the '
        'model zoo, as <out_file>-<sha256[:8]>.pth')
    parser.add_argument('in_file', help='pre-training checkpoint')
    parser.add_argument('out_file', help='output file name, before the hash')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help='prefix of the encoder\'s keys (default: backbone.)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    """Entry point of ``tools/publish_backbone.py``; returns the path."""
    args = parse_args(argv)
    return publish_backbone(args.in_file, args.out_file, args.prefix)
