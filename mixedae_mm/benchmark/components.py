"""Time MixedAE's extra components against their MAE counterparts, so that
the step-time overhead is explained, not just measured."""
import statistics
from typing import Callable, Dict

import torch
from torch import nn

from ..models.utils import mix_tokens, random_mixing_mask, unmix_tokens
from .timing import time_interleaved

__all__ = ['THRESHOLDS', 'component_breakdown', 'explained_overhead_ms']

#: ways to find the K-th largest patch score of every attention row
#: (HomologousAttention uses ``topk``)
THRESHOLDS = {
    'topk': lambda s, k: s.topk(k, dim=-1, sorted=False).values.amin(-1),
    'kthvalue': lambda s, k: s.kthvalue(s.shape[-1] - k + 1, dim=-1).values,
    'sort': lambda s, k: s.sort(dim=-1, descending=True).values[..., k - 1],
}


def _forward_backward(fn: Callable, *leaves: torch.Tensor
                      ) -> Callable[[], None]:
    """A callable running ``fn(*leaves)`` and backward from its sum."""

    def run() -> None:
        for leaf in leaves:
            leaf.grad = None
        out = fn(*leaves)
        out = out[0] if isinstance(out, tuple) else out
        out.float().sum().backward()

    return run


def component_breakdown(mixedae: nn.Module, mae: nn.Module, batch: int,
                        iters: int) -> Dict[str, dict]:
    """Time the parts in which a MixedAE step differs from an MAE step.

    Forward + backward of one attention module: MAE's on ``B`` sequences of
    ``rN + 1`` tokens, and a plain and a homologous one on the ``B / G``
    mixed sequences of ``N + 1`` tokens; of the homologous contrastive
    loss; of mixing + segment embedding + unmixing against MAE's random
    masking + unshuffling; and, forward only, of the TopK thresholds of
    :data:`THRESHOLDS`.  Run it under the autocast of the steps.

    Args:
        mixedae (nn.Module): A built ``MixedAE``.
        mae (nn.Module): A built ``MAE`` of the same size.
        batch (int): Images per step ``B``.
        iters (int): Timed calls of each part (interleaved).

    Returns:
        dict[str, dict]: Part name to ``median_ms``, ``per_step`` (how many
        times a training step runs it) and ``what``.
    """
    backbone = mixedae.backbone
    num_sources, num_patches = backbone.num_sources, backbone.num_patches
    dims, groups = backbone.embed_dims, batch // num_sources
    seen = num_patches // num_sources
    device = backbone.cls_token.device
    mask = random_mixing_mask(groups, num_patches, num_sources, device=device)
    mask_token = mixedae.neck.mask_token

    def leaf(*shape):
        return torch.randn(*shape, device=device, requires_grad=True)

    def mixedae_gathers(tokens, decoded):
        mixed = mix_tokens(tokens, mask)
        if backbone.segment_embed is not None:
            mixed = mixed + backbone.segment_embed[mask]
        unmixed = unmix_tokens(decoded[:, 1:], mask, mask_token, num_sources)
        return mixed.sum() + unmixed.sum()

    def mae_gathers(tokens, decoded):  # as MAEViT and MAEPretrainDecoder
        kept, _, ids_restore = mae.backbone.random_masking(
            tokens, mae.backbone.mask_ratio)
        fill = mae.neck.mask_token.repeat(batch, num_patches - seen, 1)
        full = torch.cat([decoded[:, 1:], fill], dim=1)
        index = ids_restore[..., None].repeat(1, 1, full.shape[-1])
        return kept.sum() + full.gather(1, index).sum()

    tokens, dec_dims = leaf(batch, num_patches, dims), mask_token.shape[-1]
    plain_attn = mae.backbone.layers[0].attn
    parts = {
        'attention_mae':
        (_forward_backward(plain_attn, leaf(batch, seen + 1, dims)),
         backbone.num_layers,
         f'MAE attention, {batch} x {seen + 1} tokens, fwd+bwd'),
        'attention_plain_mixed':
        (_forward_backward(plain_attn, leaf(groups, num_patches + 1, dims)),
         backbone.num_layers,
         f'plain attention, {groups} x {num_patches + 1} tokens, fwd+bwd'),
        'gathers_mixedae':
        (_forward_backward(mixedae_gathers, tokens,
                           leaf(groups, num_patches + 1, dec_dims)), 1,
         'mix + segment embedding + unmix, fwd+bwd'),
        'gathers_mae':
        (_forward_backward(mae_gathers, tokens,
                           leaf(batch, seen + 1, dec_dims)), 1,
         'MAE random masking + unshuffle, fwd+bwd'),
    }
    if backbone.homo_attn_layers:
        homo_attn = backbone.layers[backbone.homo_attn_layers[0]].attn
        parts['attention_homologous'] = (
            _forward_backward(lambda x: homo_attn(x, mask),
                              leaf(groups, num_patches + 1, dims)),
            len(backbone.homo_attn_layers),
            f'homologous attention, {groups} x {num_patches + 1} tokens, '
            'fwd+bwd')
        scores = torch.randn(
            groups, homo_attn.num_heads, num_patches + 1, num_patches,
            device=device)
        for name, threshold in THRESHOLDS.items():
            parts[f'threshold_{name}'] = (
                lambda t=threshold: t(scores, homo_attn.topk),
                len(backbone.homo_attn_layers),
                f'{homo_attn.topk}-th largest of {num_patches} scores, '
                f'{scores.shape[:-1].numel()} rows, by {name}')
    if mixedae.head.loss_hc is not None:
        parts['contrastive_loss'] = (
            _forward_backward(lambda f: mixedae.head.loss_hc(f, mask),
                              leaf(groups, num_patches, dims)), 1,
            f'homologous contrastive loss, {groups} x {num_patches} '
            'patches, fwd+bwd')

    times = time_interleaved({k: v[0] for k, v in parts.items()}, iters, 2,
                             device)
    return {
        name: dict(
            median_ms=1e3 * statistics.median(times[name]['wall']),
            per_step=per_step,
            what=what)
        for name, (_, per_step, what) in parts.items()
    }


def explained_overhead_ms(breakdown: Dict[str, dict]) -> Dict[str, float]:
    """MixedAE's extra milliseconds per step, part by part.

    Args:
        breakdown (dict): From :func:`component_breakdown`.

    Returns:
        dict[str, float]: ``longer_sequences`` (plain attention on the
        mixed sequences minus MAE's, every layer), ``topk_attention``
        (homologous minus plain attention, homologous layers),
        ``contrastive_loss``, ``gathers`` (mixing minus MAE's masking) and
        their ``total``.
    """

    def median(name: str) -> float:
        return breakdown[name]['median_ms'] if name in breakdown else 0.

    num_layers = breakdown['attention_mae']['per_step']
    parts = dict(
        longer_sequences=num_layers * (median('attention_plain_mixed') -
                                       median('attention_mae')),
        topk_attention=0.,
        contrastive_loss=median('contrastive_loss'),
        gathers=median('gathers_mixedae') - median('gathers_mae'))
    if 'attention_homologous' in breakdown:
        parts['topk_attention'] = breakdown['attention_homologous'][
            'per_step'] * (median('attention_homologous') -
                           median('attention_plain_mixed'))
    parts['total'] = sum(parts.values())
    return parts
