"""Export the encoder of a MixedAE checkpoint: ``tools/publish_backbone.py``.

    python tools/publish_backbone.py IN_FILE OUT_FILE [--prefix backbone.] \
        [--timm [--num-heads N]]

Writes ``<OUT_FILE without .pth>-<first 8 hex digits of its sha256>.pth``
(OpenMMLab's ``publish_model`` naming) holding ``meta`` and a
``state_dict`` with the keys of mmpretrain's ``VisionTransformer``: the
``backbone.*`` weights without the prefix and without the pre-training-only
ones (:attr:`MixedAEViT.PRETRAIN_ONLY_KEYS`); the decoder, the optimizer
and the message hub are left out.  The file holds only tensors and plain
Python values, so ``torch.load(weights_only=True)`` reads it, and a
downstream config loads it with ``init_cfg=dict(type='Pretrained',
checkpoint=FILE)`` (no prefix).

With ``--timm`` it also writes the encoder as a timm ``VisionTransformer``:
``<stem>-timm-<sha256[:8]>.safetensors`` and a ``.json`` beside it with
the timm architecture, ``model_args`` and ``pretrained_cfg``
(:mod:`mixedae_mm.transfer.timm_export`).
"""
import argparse
import os
import os.path as osp
from typing import List, Optional, Tuple

import torch
from mmengine.runner import CheckpointLoader

from ..models import MixedAEViT
from ..transfer import backbone_state_dict
from ..transfer.timm_export import export_timm
from ..utils import file_sha256
from ..version import __version__

__all__ = ['publish_backbone', 'publish_timm', 'parse_args', 'main']

#: Entries of the source checkpoint's ``meta`` kept in the published one.
KEPT_META = ('epoch', 'iter', 'cfg', 'mmengine_version')


def _stem(out_file: str) -> str:
    return out_file[:-len('.pth')] if out_file.endswith('.pth') else out_file


def _encoder(in_file: str, prefix: str) -> Tuple[dict, dict]:
    """The encoder's weights without the pre-training-only ones, and the
    published ``meta``."""
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
    return state_dict, meta


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
    state_dict, meta = _encoder(in_file, prefix)
    stem = _stem(out_file)
    if osp.dirname(stem):
        os.makedirs(osp.dirname(stem), exist_ok=True)
    tmp_file = stem + '.pth.tmp'
    torch.save(dict(meta=meta, state_dict=state_dict), tmp_file)
    final_file = f'{stem}-{file_sha256(tmp_file)[:8]}.pth'
    os.replace(tmp_file, final_file)
    return final_file


def publish_timm(in_file: str,
                 out_file: str,
                 prefix: str = 'backbone.',
                 num_heads: Optional[int] = None) -> Tuple[str, str]:
    """Write the encoder of ``in_file`` as a timm ``VisionTransformer``.

    Args:
        in_file (str): See :func:`publish_backbone`.
        out_file (str): The published name before ``-timm-<hash>``, e.g.
            ``mixedae_vit-base-p16_1600e.pth`` (the extension is dropped).
        prefix (str): The encoder's prefix. Defaults to ``'backbone.'``.
        num_heads (int, optional): Attention heads, for a width without a
            standard count (see
            :func:`~mixedae_mm.transfer.timm_export.timm_model_args`).

    Returns:
        tuple[str, str]: ``<stem>-timm-<sha256[:8]>.safetensors`` (the hash
        of that file) and the ``.json`` of the same name.
    """
    state_dict, meta = _encoder(in_file, prefix)
    meta.pop('cfg', None)  # the JSON stays short
    return export_timm(
        state_dict,
        _stem(out_file) + '-timm',
        num_heads,
        meta,
        add_hash=True)


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
    parser.add_argument(
        '--timm',
        action='store_true',
        help='also write the encoder as a timm VisionTransformer '
        '(<out_file>-timm-<sha256[:8]>.safetensors and .json)')
    parser.add_argument(
        '--num-heads',
        type=int,
        help='attention heads, for --timm with a non-standard width '
        '(default: 64 dims a head)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> List[str]:
    """Entry point of ``tools/publish_backbone.py``; returns the paths
    written (the ``.pth``, then with ``--timm`` the safetensors and JSON
    files)."""
    args = parse_args(argv)
    written = [publish_backbone(args.in_file, args.out_file, args.prefix)]
    if args.timm:
        written += publish_timm(args.in_file, args.out_file, args.prefix,
                                args.num_heads)
    return written
