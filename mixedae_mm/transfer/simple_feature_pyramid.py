"""ViTDet's simple feature pyramid, in MMDetection's registry."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d
from torch import nn

__all__ = ['SimpleFeaturePyramid']

# mmpretrain's channel LayerNorm for (B, C, H, W) maps, under the name
# ViTDet's configs use (mmdet 3.3 has no LN2d; ViTDet's own lives only in
# mmdet's source tree, projects/ViTDet).
MODELS.register_module('LN2d', module=LayerNorm2d)


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """Simple feature pyramid of ViTDet (Li et al., ECCV 2022).

    A plain ViT gives one feature map at stride ``p`` (its patch size).
    Each level rescales that last map (by 4: two stride-2 transposed
    convolutions with a norm and GELU between them; by 2: one; by 1:
    identity; by 0.5: 2x2 max pooling), then a 1x1 and a 3x3 convolution,
    each followed by the norm, make ``out_channels`` maps.  Levels beyond
    ``len(scale_factors)`` max-pool the previous one with kernel 1 and
    stride 2 (ViTDet's P6).  With ``p = 16`` and the defaults the outputs
    have strides 4, 8, 16, 32 and 64, as an FPN on a ResNet.

    Args:
        in_channels (int): Channels ``C`` of the ViT feature map.
        out_channels (int): Channels of every output. Defaults to 256.
        scale_factors (Sequence[float]): Rescaling of each level, each
            one of 4, 2, 1 and 0.5. Defaults to ``(4.0, 2.0, 1.0, 0.5)``.
        num_outs (int): Number of outputs, at least
            ``len(scale_factors)``. Defaults to 5.
        norm_cfg (dict): Norm after the convolutions.
            Defaults to ``dict(type='LN2d', eps=1e-6)``.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 256,
                 scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5),
                 num_outs: int = 5,
                 norm_cfg: dict = dict(type='LN2d', eps=1e-6),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_outs < len(scale_factors):
            raise ValueError(
                f'num_outs={num_outs} is less than the {len(scale_factors)} '
                f'scale_factors {tuple(scale_factors)}; use num_outs >= '
                f'{len(scale_factors)}.')
        self.in_channels = in_channels
        self.scale_factors = tuple(scale_factors)
        self.num_outs = num_outs
        self.rescales = nn.ModuleList()
        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for scale in self.scale_factors:
            rescale, channels = self._rescale(scale, in_channels, norm_cfg)
            self.rescales.append(rescale)
            self.lateral_convs.append(
                ConvModule(
                    channels, out_channels, 1, norm_cfg=norm_cfg,
                    act_cfg=None))
            self.fpn_convs.append(
                ConvModule(
                    out_channels,
                    out_channels,
                    3,
                    padding=1,
                    norm_cfg=norm_cfg,
                    act_cfg=None))

    @staticmethod
    def _rescale(scale: float, channels: int,
                 norm_cfg: dict) -> Tuple[nn.Module, int]:
        """The rescaling module of one level and its output channels."""
        if scale == 4:
            return nn.Sequential(
                nn.ConvTranspose2d(channels, channels // 2, 2, stride=2),
                build_norm_layer(norm_cfg, channels // 2)[1], nn.GELU(),
                nn.ConvTranspose2d(channels // 2, channels // 4, 2,
                                   stride=2)), channels // 4
        if scale == 2:
            return nn.ConvTranspose2d(
                channels, channels // 2, 2, stride=2), channels // 2
        if scale == 1:
            return nn.Identity(), channels
        if scale == 0.5:
            return nn.MaxPool2d(kernel_size=2, stride=2), channels
        raise ValueError(
            f'scale factor {scale} is not supported; each of scale_factors '
            'must be one of 4, 2, 1, 0.5.')

    def forward(self, inputs: Sequence[torch.Tensor]
                ) -> Tuple[torch.Tensor, ...]:
        """Build the pyramid from the last backbone output.

        Args:
            inputs (Sequence[torch.Tensor]): Backbone outputs; the last one
                ``(B, C, H, W)`` is used.

        Returns:
            tuple[torch.Tensor]: ``num_outs`` maps ``(B, out_channels,
            H * s, W * s)`` for ``s`` in ``scale_factors``, then halved.
        """
        x = inputs[-1]
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects a (B, {self.in_channels}, H, '
                f'W) feature map, got {tuple(x.shape)}; build the ViT with '
                "out_type='featmap' and in_channels = its embed_dims.")
        outs = [
            fpn_conv(lateral_conv(rescale(x)))
            for rescale, lateral_conv, fpn_conv in zip(
                self.rescales, self.lateral_convs, self.fpn_convs)
        ]
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], kernel_size=1, stride=2))
        return tuple(outs)
