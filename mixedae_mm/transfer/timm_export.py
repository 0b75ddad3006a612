"""Write a ViT encoder as a timm ``VisionTransformer``: safetensors + JSON.

mmpretrain's ``VisionTransformer`` (the keys of a published MixedAE
backbone) and timm's hold the same tensors under other names; the layouts
agree (fused ``qkv`` in q, k, v order, the cls token's position first in
``pos_embed``, LayerNorm eps 1e-6, exact GELU), so the export renames and
copies, nothing more.  Every source key must map to a timm key: a weight
timm's model has no place for (layer scale, a pre-norm, the pooled
``ln2``) stops the export with its name instead of being dropped.
"""
import json
import math
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch

from ..utils.file_hash import file_sha256

__all__ = [
    'TIMM_ARCHS', 'IMAGENET_MEAN', 'IMAGENET_STD', 'timm_model_args',
    'to_timm_state_dict', 'export_timm'
]

#: timm's names of the standard sizes: (embed_dim, depth, num_heads,
#: patch_size) -> architecture.  Other sizes are written under the name of
#: ViT-B/16 with every argument in ``model_args``.
TIMM_ARCHS = {
    (384, 12, 6, 16): 'vit_small_patch16_224',
    (768, 12, 12, 16): 'vit_base_patch16_224',
    (1024, 24, 16, 16): 'vit_large_patch16_224',
}
#: Heads of the widths whose head count is standard (64 dims a head).
STANDARD_HEADS = {192: 3, 384: 6, 768: 12, 1024: 16, 1280: 16}
#: The normalisation of every MixedAE config (mmpretrain's ImageNet mean
#: and std, here on the 0-1 scale timm uses).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# mmpretrain VisionTransformer -> timm VisionTransformer
_L = r'^layers\.(\d+)\.'  # the block index
_W = r'\.(weight|bias)$'
_RENAMES = (
    (r'^(cls_token|pos_embed)$', r'\1'),
    (r'^patch_embed\.projection' + _W, r'patch_embed.proj.\1'),
    (_L + 'ln1' + _W, r'blocks.\1.norm1.\2'),
    (_L + r'attn\.qkv' + _W, r'blocks.\1.attn.qkv.\2'),
    (_L + r'attn\.proj' + _W, r'blocks.\1.attn.proj.\2'),
    (_L + 'ln2' + _W, r'blocks.\1.norm2.\2'),
    (_L + r'ffn\.layers\.0\.0' + _W, r'blocks.\1.mlp.fc1.\2'),
    (_L + r'ffn\.layers\.1' + _W, r'blocks.\1.mlp.fc2.\2'),
    (r'^ln1' + _W, r'norm.\1'),
)
#: Pre-training-only weights that are not part of the encoder.
_IGNORED = ('segment_embed', )


def _rename(key: str) -> Optional[str]:
    """timm's name of an mmpretrain ViT key; None if it has none."""
    for pattern, replacement in _RENAMES:
        if re.match(pattern, key):
            return re.sub(pattern, replacement, key)
    return None


def timm_model_args(state_dict: Dict[str, torch.Tensor],
                    num_heads: Optional[int] = None) -> Tuple[str, dict]:
    """The timm architecture and arguments that fit an encoder's weights.

    Args:
        state_dict (dict): An mmpretrain ``VisionTransformer`` state dict
            (a published MixedAE backbone).
        num_heads (int, optional): Attention heads; the weights do not
            tell.  Defaults to the standard count of the width (64 dims a
            head: 3, 6, 12, 16 for 192, 384, 768, 1024).

    Returns:
        tuple[str, dict]: The timm architecture name and the keyword
        arguments of ``timm.create_model`` that build exactly this encoder
        without a classifier (``num_classes=0``).

    Raises:
        KeyError: A weight every ViT has is missing.
        ValueError: Non-square patches or grid, an MLP width that timm's
            ``mlp_ratio`` cannot express, or an unknown head count.
    """
    for key in ('cls_token', 'pos_embed', 'patch_embed.projection.weight',
                'ln1.weight'):
        if key not in state_dict:
            raise KeyError(
                f'{key!r} is not in the state dict: not a ViT encoder with '
                'a cls token, absolute positions and a final norm '
                f'(keys: {sorted(state_dict)[:8]} ...)')
    embed_dim = state_dict['cls_token'].shape[-1]
    proj = state_dict['patch_embed.projection.weight']  # (C, in, p, p)
    if proj.shape[-1] != proj.shape[-2]:
        raise ValueError(f'non-square patches {tuple(proj.shape[-2:])}')
    patch_size = proj.shape[-1]
    num_patches = state_dict['pos_embed'].shape[1] - 1  # without the cls
    grid = math.isqrt(num_patches)
    if grid * grid != num_patches:
        raise ValueError(f'pos_embed holds {num_patches} patch positions, '
                         'not a square grid')
    depth = len({
        int(m.group(1))
        for m in map(re.compile(r'^layers\.(\d+)\.').match, state_dict) if m
    })
    hidden = state_dict['layers.0.ffn.layers.0.0.weight'].shape[0]
    mlp_ratio = hidden / embed_dim
    if int(embed_dim * mlp_ratio) != hidden:
        raise ValueError(f'an MLP of {hidden} for width {embed_dim} cannot '
                         'be written as timm\'s mlp_ratio')
    if num_heads is None:
        if embed_dim not in STANDARD_HEADS:
            raise ValueError(
                f'no standard head count for width {embed_dim}: give it '
                '(--num-heads N), as in the pre-training config\'s arch')
        num_heads = STANDARD_HEADS[embed_dim]
    if embed_dim % num_heads:
        raise ValueError(f'{num_heads} heads do not divide width {embed_dim}')
    architecture = TIMM_ARCHS.get((embed_dim, depth, num_heads, patch_size),
                                  'vit_base_patch16_224')
    model_args = dict(
        img_size=grid * patch_size,
        patch_size=patch_size,
        in_chans=proj.shape[1],
        embed_dim=embed_dim,
        depth=depth,
        num_heads=num_heads,
        mlp_ratio=mlp_ratio,
        qkv_bias='layers.0.attn.qkv.bias' in state_dict,
        class_token=True,
        global_pool='token',
        num_classes=0)
    return architecture, model_args


def to_timm_state_dict(
        state_dict: Dict[str, torch.Tensor]
) -> 'OrderedDict[str, torch.Tensor]':
    """Rename an mmpretrain ``VisionTransformer`` state dict to timm's.

    Args:
        state_dict (dict): The encoder's weights (no prefix); MixedAE's
            pre-training-only ``segment_embed`` is left out.

    Returns:
        OrderedDict[str, torch.Tensor]: The same tensors (contiguous) under
        timm's ``VisionTransformer`` names.

    Raises:
        KeyError: Keys with no place in timm's model, all named.
    """
    renamed, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        if key in _IGNORED:
            continue
        new = _rename(key)
        if new is None:
            unknown.append(key)
        else:
            renamed[new] = value.detach().cpu().contiguous()
    if unknown:
        raise KeyError(
            f'no timm VisionTransformer weight for {unknown}: an encoder '
            'with layer scale, a pre-norm or a pooled norm (ln2) does not '
            'fit timm\'s vit_* models as exported here')
    return renamed


def export_timm(state_dict: Dict[str, torch.Tensor],
                out_stem: str,
                num_heads: Optional[int] = None,
                meta: Optional[dict] = None,
                add_hash: bool = False) -> Tuple[str, str]:
    """Write ``<out_stem>.safetensors`` and ``<out_stem>.json``.

    Args:
        state_dict (dict): An mmpretrain ``VisionTransformer`` state dict.
        out_stem (str): The files' path without extension.
        num_heads (int, optional): See :func:`timm_model_args`.
        meta (dict, optional): Plain values kept in the JSON as
            ``source``.
        add_hash (bool): Append ``-<sha256[:8]>`` of the safetensors file
            to both names (OpenMMLab's naming of published weights).
            Defaults to False.

    Returns:
        tuple[str, str]: The safetensors file and the JSON config.  The
        JSON holds ``architecture``, ``model_args`` (for
        ``timm.create_model``) and ``pretrained_cfg`` (for its
        ``pretrained_cfg_overlay``; ``file`` is the weights' file name, to
        be joined with the JSON's folder).
    """
    from safetensors.torch import save_file

    architecture, model_args = timm_model_args(state_dict, num_heads)
    tensors = to_timm_state_dict(state_dict)
    if osp.dirname(out_stem):
        os.makedirs(osp.dirname(out_stem), exist_ok=True)
    tmp_file = out_stem + '.safetensors.tmp'
    save_file(
        dict(tensors),
        tmp_file,
        metadata=dict(architecture=architecture, exported_by='mixedae-mm'))
    if add_hash:
        out_stem = f'{out_stem}-{file_sha256(tmp_file)[:8]}'
    weights_file, config_file = out_stem + '.safetensors', out_stem + '.json'
    os.replace(tmp_file, weights_file)
    img_size = model_args['img_size']
    config = dict(
        architecture=architecture,
        model_args=model_args,
        pretrained_cfg=dict(
            file=osp.basename(weights_file),
            num_classes=0,
            input_size=[model_args['in_chans'], img_size, img_size],
            interpolation='bicubic',
            mean=list(IMAGENET_MEAN),
            std=list(IMAGENET_STD)),
        source=meta or {})
    with open(config_file, 'w') as f:
        json.dump(config, f, indent=2, default=str)
    return weights_file, config_file
