"""MixMask-MoCo v2 and MMPretrain's MoCo v2 of one ResNet
(``tools/benchmark.py --pair mixmask``)."""
import os.path as osp
import statistics
import warnings
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmpretrain.models import ResNet
from torch import nn

from .timing import time_interleaved

__all__ = [
    'MOCOV2_CONFIG', 'MIXMASK_MOCOV2_CONFIG', 'mixmask_model_configs',
    'mocov2_optim_wrapper', 'check_mixmask_batch', 'mixmask_breakdown',
    'predicted_step_time_ratio'
]

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: MMPretrain's own MoCo v2 recipe (model and optimiser)
MOCOV2_CONFIG = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'
#: our MixMask-MoCo v2 config on that recipe
MIXMASK_MOCOV2_CONFIG = osp.join(
    ROOT, 'configs', 'mixmask',
    'mixmask-mocov2_resnet50_8xb32-coslr-200e_in1k.py')


def _mmpretrain_config(path: str) -> Config:
    with warnings.catch_warnings():  # mmengine.hub imports pkg_resources
        warnings.simplefilter('ignore')
        from mmengine.hub import get_config
        return get_config(path)


def mixmask_model_configs(depth: int = 50,
                          base_channels: Optional[int] = None,
                          grid_size: Optional[int] = None
                          ) -> Tuple[ConfigDict, ConfigDict]:
    """Model configs of MixMask-MoCo v2 and MMPretrain's MoCo v2 of one size.

    MoCo v2 is MMPretrain's ``mocov2_resnet50_8xb32-coslr-200e_in1k.py``,
    MixMask-MoCo v2 our ``configs/mixmask/`` config on it; both get the same
    ResNet (``depth``, ``base_channels``, which also sets the stem width)
    and a MoCo v2 neck fitted to its output (``in_channels`` and, when the
    ResNet is not the recipe's, ``hid_channels`` = the ResNet's output
    width), queue, momentum and head.

    Args:
        depth (int): ResNet depth (18, 34, 50, 101 or 152).
        base_channels (int, optional): Width of the first stage (ResNet's
            64 by default).
        grid_size (int, optional): MixMask's mask grid (the config's 8 by
            default).

    Returns:
        tuple[ConfigDict, ConfigDict]: The MixMask-MoCo v2 and MoCo v2
        model configs.
    """
    if depth not in ResNet.arch_settings:
        raise ValueError(f'ResNet depth must be one of '
                         f'{sorted(ResNet.arch_settings)}, got {depth}.')
    if not osp.isfile(MIXMASK_MOCOV2_CONFIG):
        raise FileNotFoundError(
            f'the MixMask-MoCo v2 config {MIXMASK_MOCOV2_CONFIG} is missing.')
    mixmask = Config.fromfile(MIXMASK_MOCOV2_CONFIG).model
    mocov2 = _mmpretrain_config(MOCOV2_CONFIG).model
    backbone = dict(depth=depth)
    if base_channels is not None:
        backbone.update(base_channels=base_channels,
                        stem_channels=base_channels)
    width = backbone.get('base_channels', 64)
    block = ResNet.arch_settings[depth][0]
    out_channels = width * 8 * (4 if block.__name__ == 'Bottleneck' else 1)
    for cfg in (mixmask, mocov2):
        cfg.backbone.update(backbone)
        if out_channels != cfg.neck.in_channels:
            cfg.neck.update(in_channels=out_channels,
                            hid_channels=out_channels)
    if grid_size is not None:
        mixmask.mask_cfg.grid_size = grid_size
    return mixmask, mocov2


def mocov2_optim_wrapper() -> ConfigDict:
    """MMPretrain's MoCo v2 optimiser (SGD, lr 0.03, momentum 0.9, weight
    decay 1e-4), from its recipe."""
    return _mmpretrain_config(MOCOV2_CONFIG).optim_wrapper


def check_mixmask_batch(batch: int, queue_len: int) -> None:
    """Refuse a batch MixMask cannot pair or MoCo's queue cannot take.

    Raises:
        ValueError: Odd ``batch`` or one image (MixMask mixes image ``i``
            with image ``N - 1 - i``), or ``queue_len`` not a multiple of
            ``batch`` (MMPretrain's MoCo enqueues whole batches).
    """
    if batch < 2 or batch % 2:
        raise ValueError(
            f'--batch {batch}: MixMask mixes image i with image N-1-i, so '
            'the batch must be even and at least 2.')
    if queue_len % batch:
        raise ValueError(
            f'--batch {batch}: MoCo\'s queue of {queue_len} keys must be a '
            'multiple of the batch; choose a power of 2.')


def mixmask_breakdown(mixmask: nn.Module, inputs: torch.Tensor,
                      iters: int) -> Dict[str, dict]:
    """Time the parts of a MoCo v2 step that MixMask repeats or adds.

    A MixMask-MoCo v2 step is a MoCo v2 step plus the mask and the mixed
    batch (``mix``) and one more forward + backward of the online encoder
    (backbone and neck) on the mixed view; the momentum encoder still sees
    only the clean view.  Run it under the autocast of the steps.

    Args:
        mixmask (nn.Module): A built ``MixMaskMoCo``.
        inputs (torch.Tensor): One view ``(N, 3, H, W)``.
        iters (int): Timed calls of each part (interleaved).

    Returns:
        dict[str, dict]: Part name to ``median_ms`` and ``what``:
        ``mix`` (mask + Eq. 1), ``online_fwd_bwd`` (backbone + neck,
        forward and backward) and ``momentum_fwd`` (the key encoder's
        forward, which MixMask does not repeat).
    """
    online = nn.Sequential(mixmask.backbone, mixmask.neck)

    def online_fwd_bwd() -> None:
        online.zero_grad(set_to_none=True)
        online(inputs)[0].float().sum().backward()

    @torch.no_grad()
    def momentum_fwd() -> None:
        mixmask.encoder_k(inputs)

    @torch.no_grad()
    def mix() -> None:
        mixmask.mix(inputs)

    parts = dict(
        mix=(mix, f'mask + mixed batch of {tuple(inputs.shape)}'),
        online_fwd_bwd=(online_fwd_bwd,
                        'online backbone + neck, forward and backward'),
        momentum_fwd=(momentum_fwd, 'momentum encoder, forward'))
    times = time_interleaved({k: v[0] for k, v in parts.items()}, iters, 1,
                             inputs.device)
    online.zero_grad(set_to_none=True)
    return {
        name: dict(
            median_ms=1e3 * statistics.median(times[name]['wall']),
            what=what)
        for name, (_, what) in parts.items()
    }


def predicted_step_time_ratio(breakdown: Dict[str, dict]) -> float:
    """The MixMask / MoCo v2 step-time ratio that the parts predict.

    A MoCo v2 step is counted as one online forward + backward and one
    momentum-encoder forward; MixMask adds the mixing and a second online
    forward + backward.  The loss, the EMA update and the optimizer step,
    which both steps share, are left out, so the prediction is an upper
    bound when they are not negligible.  All parts come from one
    interleaved measurement, so a busy phase of a shared machine hits
    numerator and denominator alike.

    Args:
        breakdown (dict): From :func:`mixmask_breakdown`.

    Returns:
        float: ``(2 online + momentum + mix) / (online + momentum)``.
    """
    online = breakdown['online_fwd_bwd']['median_ms']
    momentum = breakdown['momentum_fwd']['median_ms']
    mix = breakdown['mix']['median_ms']
    return (2 * online + momentum + mix) / (online + momentum)
