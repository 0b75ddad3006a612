"""Homologous attention: self-attention that keeps each query's TopK keys."""
from typing import Optional, Tuple

import torch
from mmpretrain.models.utils import MultiheadAttention

__all__ = ['HomologousAttention', 'topk_keep_mask', 'homologous_accuracy']


def topk_keep_mask(scores: torch.Tensor, topk: int,
                   num_extra_tokens: int = 1) -> torch.Tensor:
    """Mark, in every row, the ``topk`` largest patch scores.

    The first ``num_extra_tokens`` columns (the cls token) are always kept.
    The row's ``topk``-th largest patch score is used as a threshold, so
    this is one ``topk`` (no sort of the row) and one comparison; tied
    scores at the threshold are all kept, so a row of equal scores keeps
    everything and no row is ever empty.

    Args:
        scores (torch.Tensor): Attention logits ``(..., L, L)`` with
            ``L = num_extra_tokens + N``.
        topk (int): Patch keys kept per query, in ``[1, N]``.
        num_extra_tokens (int): Leading always-kept columns.

    Returns:
        torch.Tensor: Bool ``(..., L, L)``, True for kept keys.
    """
    patch_scores = scores[..., num_extra_tokens:]
    num_patches = patch_scores.shape[-1]
    if not 1 <= topk <= num_patches:
        raise ValueError(
            f'topk must be in [1, {num_patches}] (the number of patch '
            f'keys), got {topk}.')
    if topk == num_patches:
        return torch.ones_like(scores, dtype=torch.bool)
    threshold = patch_scores.topk(topk, dim=-1, sorted=False).values
    keep = patch_scores >= threshold.amin(dim=-1, keepdim=True)
    extra = keep.new_ones(keep.shape[:-1] + (num_extra_tokens, ))
    return torch.cat([extra, keep], dim=-1)


@torch.no_grad()
def homologous_accuracy(keep: torch.Tensor, source_ids: torch.Tensor,
                        num_extra_tokens: int = 1) -> torch.Tensor:
    """Fraction of kept patch keys that come from the query's own source.

    Args:
        keep (torch.Tensor): Bool ``(B, H, L, L)`` from
            :func:`topk_keep_mask`.
        source_ids (torch.Tensor): ``(B, N)`` source of every patch.
        num_extra_tokens (int): Leading cls columns/rows, not counted.

    Returns:
        torch.Tensor: Scalar, averaged over images, heads and patch queries.
    """
    kept = keep[..., num_extra_tokens:, num_extra_tokens:]
    same = source_ids[:, None, :, None] == source_ids[:, None, None, :]
    hits = (kept & same).sum(-1)
    return (hits.float() / kept.sum(-1).float()).mean()


class HomologousAttention(MultiheadAttention):
    """Multi-head self-attention that attends to each query's TopK keys.

    ``A = softmax(TopK(q k^T / sqrt(d)))``: in every row only the ``topk``
    largest patch scores (plus the always-kept cls column) survive, the rest
    are set to ``-inf`` before the softmax.  Every patch thereby picks the
    patches it finds most related, which in a mixed image should be the
    patches of its own source ("homologous" patches).

    The module adds no parameter to :class:`MultiheadAttention` (same
    ``qkv`` / ``proj`` names), so a checkpoint loads into a plain ViT block
    and fine-tuning uses ordinary attention.

    Args:
        topk (int): Patch keys kept per query, in ``[1, N]``.
        num_extra_tokens (int): Leading always-kept tokens. Defaults to 1.
        **kwargs: Arguments of :class:`mmpretrain.models.utils.
            MultiheadAttention`.
    """

    def __init__(self, topk: int, num_extra_tokens: int = 1, **kwargs):
        super().__init__(**kwargs)
        if topk < 1:
            raise ValueError(f'topk must be at least 1, got {topk}.')
        self.topk = topk
        self.num_extra_tokens = num_extra_tokens

    def attention_probs(self, x: torch.Tensor
                        ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Compute the TopK-masked attention probabilities.

        Args:
            x (torch.Tensor): Tokens ``(B, L, C)``.

        Returns:
            tuple: ``probs`` ``(B, H, L, L)`` in float32, the kept-key mask
            ``(B, H, L, L)`` and the values ``(B, H, L, C / H)``.
        """
        B, L, _ = x.shape
        qkv = self.qkv(x).reshape(B, L, 3, self.num_heads,
                                  self.head_dims).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        # logits and softmax in float32: fp16 logits can overflow to inf.
        scores = (q.float() * self.head_dims**-0.5) @ k.float().transpose(
            -2, -1)
        keep = topk_keep_mask(scores, self.topk, self.num_extra_tokens)
        probs = scores.masked_fill(~keep, float('-inf')).softmax(dim=-1)
        return probs, keep, v

    def forward(self,
                x: torch.Tensor,
                source_ids: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Attend and, if ``source_ids`` is given, measure ``homo_acc``.

        Args:
            x (torch.Tensor): Tokens ``(B, L, C)``.
            source_ids (torch.Tensor, optional): ``(B, N)`` source index of
                every patch (the mixing mask).

        Returns:
            tuple: Output tokens ``(B, L, C)`` and the homologous accuracy
            (a scalar tensor, or None without ``source_ids``).
        """
        B, L, _ = x.shape
        probs, keep, v = self.attention_probs(x)
        if self.training and self.attn_drop > 0:
            probs = torch.nn.functional.dropout(probs, self.attn_drop)
        out = (probs.to(v.dtype) @ v).transpose(1, 2).reshape(
            B, L, self.embed_dims)
        out = self.out_drop(self.gamma1(self.proj_drop(self.proj(out))))
        acc = None
        if source_ids is not None:
            acc = homologous_accuracy(keep, source_ids, self.num_extra_tokens)
        return out, acc
