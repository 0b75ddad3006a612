"""The MixedAE encoder: a ViT that mixes images instead of masking them."""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmpretrain.models import MAEViT, VisionTransformer
from mmpretrain.models.utils import to_2tuple
from mmpretrain.registry import MODELS
from torch import nn

from ..utils import (HomologousTransformerEncoderLayer, check_mixable,
                     mix_tokens, num_sources_from_ratio, random_mixing_mask)

__all__ = ['MixedAEViT']


@MODELS.register_module()
class MixedAEViT(MAEViT):
    """Vision Transformer for MixedAE pre-training.

    Every ``G = 1 / r`` consecutive images of the batch are mixed into one:
    each position of the mixed image shows the patch of exactly one source
    (a symmetric random mixing mask, fresh every step), so the encoder sees
    ``B / G`` sequences of ``N`` tokens -- the token count of MAE with mask
    ratio ``1 - r``.  Nothing tells the encoder which source a token came
    from (it has to find out: homologous recognition); the layers in
    ``homo_attn_layers`` use :class:`HomologousAttention`.

    Without a mixing mask (``forward(x, mask=None)``) it is mmpretrain's
    ``VisionTransformer``; its weights (all but :attr:`pretrain_only_keys`)
    load with ``strict=True`` into a ``VisionTransformer`` of the same arch.

    Args:
        arch (str | dict): ViT architecture, as in ``VisionTransformer``
            (``'b'``: ViT-B; ``'deit-s'``: ViT-S/16 with 384 dims and 12
            layers; ``'s'`` is mmpretrain's 768-dim 8-layer ViT).
            Defaults to ``'b'``.
        img_size (int | tuple): Input image size. Defaults to 224.
        patch_size (int): Patch size; must divide ``img_size``.
            Defaults to 16.
        mixing_ratio (float): ``r`` in ``(0, 0.5]``, the share of its
            patches each source shows. Defaults to 0.25 (``G = 4``).
        homo_attn_layers (Sequence[int], optional): Indices of the layers
            that use homologous attention; None means all, ``()`` none.
        topk (int, optional): Patch keys kept per query by homologous
            attention, in ``[1, N]``; None means ``r * N``.
        segment_embed (bool): Add a learnable embedding of the source index
            to every token before the encoder.  Defaults to False: it tells
            the encoder each token's source, a shortcut that the homologous
            contrastive loss collapses onto (measured in ``docs/proxy.md``);
            True is kept as the ablation that shows it.
        drop_rate (float): Dropout rate. Defaults to 0.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.
        norm_cfg (dict): Normalisation layer config.
            Defaults to ``dict(type='LN', eps=1e-6)``.
        layer_cfgs (dict | Sequence[dict]): Extra configs of the layers.
        **kwargs: Other arguments of :class:`mmpretrain.models.MAEViT`
            (``out_indices``, ``final_norm``, ``out_type``, ``patch_cfg``,
            ``layer_cfgs``, ``init_cfg`` ...).
    """

    #: Parameters that exist only for pre-training; a downstream
    #: ``VisionTransformer`` does not have them.
    PRETRAIN_ONLY_KEYS = ('segment_embed', )

    def __init__(self,
                 arch: Union[str, dict] = 'b',
                 img_size: Union[int, Tuple[int, int]] = 224,
                 patch_size: int = 16,
                 mixing_ratio: float = 0.25,
                 homo_attn_layers: Optional[Sequence[int]] = None,
                 topk: Optional[int] = None,
                 segment_embed: bool = False,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 layer_cfgs: Union[dict, Sequence[dict]] = dict(),
                 **kwargs) -> None:
        for side in to_2tuple(img_size):
            if side % patch_size:
                raise ValueError(
                    f'img_size {img_size} is not divisible by patch_size '
                    f'{patch_size}; choose an image size that is a multiple '
                    'of the patch size (e.g. 224 for 16).')
        self.num_sources = num_sources_from_ratio(mixing_ratio)
        self.mixing_ratio = mixing_ratio
        super().__init__(
            arch=arch,
            img_size=img_size,
            patch_size=patch_size,
            drop_rate=drop_rate,
            drop_path_rate=drop_path_rate,
            norm_cfg=norm_cfg,
            layer_cfgs=layer_cfgs,
            mask_ratio=1 - mixing_ratio,
            **kwargs)
        num_patches = self.num_patches
        check_mixable(self.num_sources, num_patches, self.num_sources)

        self.topk = num_patches // self.num_sources if topk is None else topk
        if not 1 <= self.topk <= num_patches:
            raise ValueError(
                f'topk must be in [1, N] = [1, {num_patches}] (the patches of '
                f'one image), got {topk}; None uses r * N = '
                f'{num_patches // self.num_sources}.')
        self.homo_attn_layers = self._check_layer_indices(homo_attn_layers)
        self._use_homologous_attention(
            dict(drop_rate=drop_rate, norm_cfg=norm_cfg), drop_path_rate,
            layer_cfgs)

        if segment_embed:
            self.segment_embed = nn.Parameter(
                torch.zeros(self.num_sources, self.embed_dims))
        else:
            self.segment_embed = None

    def _check_layer_indices(self,
                             indices: Optional[Sequence[int]]) -> List[int]:
        if indices is None:
            return list(range(self.num_layers))
        checked = []
        for index in indices:
            if not -self.num_layers <= index < self.num_layers:
                raise ValueError(
                    f'homo_attn_layers has layer {index}, but the encoder '
                    f'has {self.num_layers} layers (indices 0 to '
                    f'{self.num_layers - 1}); use None for all, () for none.')
            checked.append(index % self.num_layers)
        return sorted(set(checked))

    def _use_homologous_attention(self, common_cfg: dict,
                                  drop_path_rate: float,
                                  layer_cfgs: Union[dict, Sequence[dict]]
                                  ) -> None:
        """Rebuild the chosen layers with homologous attention, with the
        same settings ``VisionTransformer`` gave them.

        The new layers are built with the global random generators forked,
        so building them draws nothing: with the same seed, MAE, MixedAE and
        every ablation of the same architecture reach ``init_weights`` in
        the same generator state and start from bit-identical encoder
        weights (``init_weights`` overwrites what construction drew).
        """
        if isinstance(layer_cfgs, dict):
            layer_cfgs = [layer_cfgs] * self.num_layers
        dpr = np.linspace(0, drop_path_rate, self.num_layers)
        for i in self.homo_attn_layers:
            cfg = dict(
                embed_dims=self.embed_dims,
                num_heads=self.arch_settings['num_heads'],
                feedforward_channels=self.arch_settings[
                    'feedforward_channels'],
                drop_path_rate=dpr[i],
                **common_cfg)
            cfg.update(layer_cfgs[i])
            with torch.random.fork_rng(devices=[]):
                self.layers[i] = HomologousTransformerEncoderLayer(
                    topk=self.topk, **cfg)

    def init_weights(self) -> None:
        """Initialise as MAE does, and the segment embeddings."""
        super().init_weights()
        if self.segment_embed is not None:
            nn.init.normal_(self.segment_embed, std=.02)

    def pretrain_only_keys(self) -> List[str]:
        """Names of the parameters a downstream ``VisionTransformer`` lacks."""
        return [k for k in self.PRETRAIN_ONLY_KEYS
                if getattr(self, k, None) is not None]

    def _check_mix_mask(self, mask: torch.Tensor, num_groups: int) -> None:
        """Refuse a mixing mask that is not symmetric ``(B / G, N)``.

        Every row must be an integer tensor in which each source ``0 ..
        G - 1`` appears exactly ``r * N = N / G`` times, as
        :func:`random_mixing_mask` draws it.
        """
        G, N = self.num_sources, self.num_patches
        expected = (num_groups, N)
        if tuple(mask.shape) != expected:
            raise ValueError(
                f'The mixing mask must have shape (B / G, N) = {expected} '
                f'for {num_groups * G} images of {N} patches and G = {G}, '
                f'got {tuple(mask.shape)}.')
        if mask.dtype.is_floating_point or mask.dtype.is_complex or \
                mask.dtype == torch.bool:
            raise TypeError(
                'The mixing mask must be an integer tensor of source '
                f'indices in [0, {G}) (e.g. torch.long), got {mask.dtype}.')
        if mask.numel() and (mask.min() < 0 or mask.max() >= G):
            raise ValueError(
                f'The mixing mask holds source indices outside [0, {G}): '
                f'min {int(mask.min())}, max {int(mask.max())}.')
        counts = torch.zeros(
            num_groups, G, dtype=torch.long, device=mask.device)
        counts.scatter_add_(1, mask.long(),
                            torch.ones_like(mask, dtype=torch.long))
        bad = (counts != N // G).any(dim=1)
        if bad.any():
            row = int(bad.nonzero()[0, 0])
            raise ValueError(
                'Every row of the mixing mask must give each of the '
                f'{G} sources exactly r * N = {N // G} of the {N} positions; '
                f'row {row} has counts {counts[row].tolist()}. Draw masks '
                'with random_mixing_mask().')

    def forward(
        self,
        x: torch.Tensor,
        mask: Union[bool, None, torch.Tensor] = True
    ) -> Tuple[Optional[torch.Tensor], ...]:
        """Encode mixed images, or plain ones when ``mask`` is None/False.

        Args:
            x (torch.Tensor): Images ``(B, C, H, W)``; ``B`` divisible by
                ``G``, consecutive images form a group.
            mask (bool | torch.Tensor | None): True draws a random mixing
                mask; an integer tensor ``(B / G, N)`` in which every row
                gives each source ``r * N`` positions is used as the mixing
                mask (anything else raises ``ValueError`` / ``TypeError``);
                None or False runs the plain ViT.

        Returns:
            tuple: With mixing, ``latent`` ``(B / G, N + 1, D)`` (cls token
            first), the mixing mask ``(B / G, N)`` and ``homo_acc`` (scalar
            tensor, None without homologous layers).  Without mixing, the
            outputs of ``VisionTransformer.forward``.
        """
        if mask is None or mask is False:
            return VisionTransformer.forward(self, x)

        B, _, H, W = x.shape
        if (H, W) != tuple(self.img_size):
            raise ValueError(
                f'MixedAEViT was built for {tuple(self.img_size)} images but '
                f'got {(H, W)}; resize the inputs or set img_size.')
        check_mixable(B, self.num_patches, self.num_sources)
        if isinstance(mask, torch.Tensor):
            self._check_mix_mask(mask, B // self.num_sources)
            mix_mask = mask.long()
        else:
            mix_mask = random_mixing_mask(
                B // self.num_sources,
                self.num_patches,
                self.num_sources,
                device=x.device)

        tokens = self.patch_embed(x)[0] + self.pos_embed[:, 1:, :]
        x = mix_tokens(tokens, mix_mask)
        if self.segment_embed is not None:
            x = x + self.segment_embed[mix_mask]
        cls_token = self.cls_token + self.pos_embed[:, :1, :]
        x = torch.cat((cls_token.expand(x.shape[0], -1, -1), x), dim=1)

        accs = []
        for layer in self.layers:
            if isinstance(layer, HomologousTransformerEncoderLayer):
                x, acc = layer.forward_homologous(x, mix_mask)
                accs.append(acc)
            else:
                x = layer(x)
        x = self.norm1(x)
        homo_acc = torch.stack(accs).mean() if accs else None
        return x, mix_mask, homo_acc
