"""MixedAE and MMPretrain's MAE of one size, and their training steps."""
import os.path as osp
import warnings
from contextlib import nullcontext
from typing import Callable, List, Optional, Tuple, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.runner import autocast
from mmpretrain.models import VisionTransformer
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..datasets import DEMO_CONFIG

__all__ = [
    'ARCHS', 'TINY_CONFIG', 'model_configs', 'build_model', 'build_adamw',
    'build_optimizer', 'cpu_autocast', 'train_step'
]

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MIXEDAE_MODEL = osp.join(ROOT, 'configs', '_base_', 'models',
                         'mixedae_vit-base-p16.py')
MAE_MODEL = 'mmpretrain::_base_/models/mae_vit-base-p16.py'
#: the demo config: ``--arch tiny`` and the data-loading test use it
TINY_CONFIG = osp.join(ROOT, DEMO_CONFIG)
#: ``--arch``: the encoder (MMPretrain ``VisionTransformer`` arch), patch
#: size and default image size.  ``tiny`` is the demo config's encoder and
#: decoder; the others use MAE's decoder (512 dims, 8 blocks).
ARCHS = {
    'tiny': None,
    'small': dict(arch='deit-s', patch_size=16, img_size=224),
    'base': dict(arch='b', patch_size=16, img_size=224),
    'large': dict(arch='l', patch_size=16, img_size=224),
}
DECODER_KEYS = ('decoder_embed_dim', 'decoder_depth', 'decoder_num_heads',
                'mlp_ratio')


def _mae_model_config() -> ConfigDict:
    with warnings.catch_warnings():  # mmengine.hub imports pkg_resources
        warnings.simplefilter('ignore')
        from mmengine.hub import get_config
        return get_config(MAE_MODEL).model


def model_configs(arch: str,
                  img_size: Optional[int] = None
                  ) -> Tuple[ConfigDict, ConfigDict]:
    """Model configs of MixedAE and MMPretrain's MAE of one size.

    MixedAE comes from this project's ``configs/_base_/models``, MAE from
    MMPretrain's own ``configs/_base_/models/mae_vit-base-p16.py``; both get
    the same encoder, image and patch size and decoder, and MAE the mask
    ratio ``1 - r``.

    Args:
        arch (str): A key of :data:`ARCHS`.
        img_size (int, optional): Image size; None takes the arch's.

    Returns:
        tuple[ConfigDict, ConfigDict]: The MixedAE and MAE model configs.
    """
    if arch not in ARCHS:
        raise ValueError(f'arch must be one of {list(ARCHS)}, got {arch!r}.')
    mixedae = Config.fromfile(MIXEDAE_MODEL).model
    mae = _mae_model_config()
    if arch == 'tiny':
        tiny = Config.fromfile(TINY_CONFIG).model
        encoder = {
            key: tiny.backbone[key]
            for key in ('arch', 'patch_size', 'img_size')
        }
        decoder = {key: tiny.neck[key] for key in DECODER_KEYS}
    else:
        encoder = dict(ARCHS[arch])
        decoder = {key: mae.neck[key] for key in DECODER_KEYS}
    if img_size is not None:
        encoder['img_size'] = img_size
    patch_size = encoder['patch_size']
    if encoder['img_size'] % patch_size:
        raise ValueError(
            f'image size {encoder["img_size"]} is not a multiple of the '
            f'patch size {patch_size} of arch {arch!r}.')
    vit_arch = encoder['arch']
    embed_dims = (vit_arch['embed_dims'] if isinstance(vit_arch, dict) else
                  VisionTransformer.arch_zoo[vit_arch]['embed_dims'])
    for cfg in (mixedae, mae):
        cfg.backbone.update(encoder)
        cfg.neck.update(
            num_patches=(encoder['img_size'] // patch_size)**2,
            patch_size=patch_size,
            embed_dim=embed_dims,
            **decoder)
        cfg.head.patch_size = patch_size
    mae.backbone.mask_ratio = 1 - mixedae.backbone.mixing_ratio
    return mixedae, mae


def build_model(cfg: ConfigDict, device: torch.device) -> nn.Module:
    """Build from ``MODELS``, initialise, move to ``device``, train mode."""
    model = MODELS.build(cfg)
    model.init_weights()
    return model.to(device).train()


def build_optimizer(model: nn.Module, optimizer: dict, amp: bool,
                    device: torch.device) -> OptimWrapper:
    """``optimizer`` in an ``OptimWrapper``, or an ``AmpOptimWrapper``
    (fp16, dynamic loss scale) when ``amp`` on CUDA."""
    if amp and device.type == 'cuda':
        cfg = dict(
            type='AmpOptimWrapper', loss_scale='dynamic', optimizer=optimizer)
    else:
        cfg = dict(type='OptimWrapper', optimizer=optimizer)
    return build_optim_wrapper(model, cfg)


def build_adamw(model: nn.Module, amp: bool,
                device: torch.device) -> OptimWrapper:
    """MAE's AdamW; ``AmpOptimWrapper`` (fp16, dynamic loss scale) when
    ``amp`` on CUDA."""
    return build_optimizer(
        model,
        dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05),
        amp, device)


def cpu_autocast(amp: bool, device: torch.device):
    """bf16 autocast for ``amp`` on CPU; on CUDA ``AmpOptimWrapper`` casts."""
    if amp and device.type == 'cpu':
        return autocast(device_type='cpu', dtype=torch.bfloat16)
    return nullcontext()


def train_step(model: nn.Module, optim_wrapper: OptimWrapper,
               inputs: Union[torch.Tensor, List[torch.Tensor]],
               amp: bool) -> Callable[[], None]:
    """One full training step on a batch already on the device: forward
    (``model.loss``), backward and optimizer step, as mmengine's
    ``train_step`` without the data preprocessor.

    Args:
        model (nn.Module): A ``BaseSelfSupervisor``.
        optim_wrapper (OptimWrapper): Its optimizer wrapper.
        inputs (torch.Tensor | list[torch.Tensor]): Normalised images
            ``(B, 3, H, W)``, or a list of such views (Siamese methods).
        amp (bool): bf16 autocast on CPU (CUDA: see :func:`build_adamw`).

    Returns:
        Callable[[], None]: The step.
    """
    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    samples: List[DataSample] = [DataSample() for _ in range(len(first))]

    def step() -> None:
        with optim_wrapper.optim_context(model), cpu_autocast(
                amp, first.device):
            losses = model.loss(inputs, samples)
        loss, _ = model.parse_losses(losses)
        optim_wrapper.update_params(loss)

    return step
