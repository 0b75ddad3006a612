"""Homologous attention: self-attention that keeps each query's TopK keys."""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.utils import MultiheadAttention

__all__ = ['HomologousAttention', 'topk_keep_mask', 'homologous_accuracy']


def _check_topk(topk: int, num_patches: int) -> None:
    if not 1 <= topk <= num_patches:
        raise ValueError(
            f'topk must be in [1, {num_patches}] (the number of patch '
            f'keys), got {topk}.')


def _topk_threshold(patch_scores: torch.Tensor, topk: int) -> torch.Tensor:
    """The ``topk``-th largest score of every row, ``(..., 1)``.

    ``topk(sorted=False)`` selects without sorting the row: on CPU it beats
    ``kthvalue`` and a sort (``tools/benchmark.py --breakdown`` times all
    three).
    """
    largest = patch_scores.topk(topk, dim=-1, sorted=False).values
    return largest.amin(dim=-1, keepdim=True)


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
    _check_topk(topk, patch_scores.shape[-1])
    if topk == patch_scores.shape[-1]:
        return torch.ones_like(scores, dtype=torch.bool)
    keep = patch_scores >= _topk_threshold(patch_scores, topk)
    extra = keep.new_ones(keep.shape[:-1] + (num_extra_tokens, ))
    return torch.cat([extra, keep], dim=-1)


def _homologous_share(patch_keep: torch.Tensor,
                      source_ids: torch.Tensor) -> torch.Tensor:
    """Mean share of a query's other kept keys that are homologous.

    A query's own key is left out of both counts: it is always homologous,
    so counting it would lift chance level from ``(N/G - 1) / (N - 1)``
    (about ``1/G``) to ``(1 + (K - 1)(N/G - 1)/(N - 1)) / K`` (0.26 for
    ``G = 4``, ``N = 196``, ``K = 49``).  Queries that keep no key but
    their own have no share and are not averaged; the result is NaN only
    if no query keeps another key (e.g. ``topk = 1``).

    Args:
        patch_keep (torch.Tensor): Bool ``(B, H, N, N)`` over patch queries
            and patch keys.
        source_ids (torch.Tensor): ``(B, N)``.

    Returns:
        torch.Tensor: Float32 scalar, the mean over images, heads and
        queries.
    """
    same = source_ids[:, None, :, None] == source_ids[:, None, None, :]
    # int32 sums: an int64 copy of a B x H x N x N mask is slow on CPU;
    # the own key is removed through the diagonal, not an N x N mask
    own = patch_keep.diagonal(dim1=-2, dim2=-1).to(torch.int32)
    hits = (patch_keep & same).sum(-1, dtype=torch.int32) - own
    others = patch_keep.sum(-1, dtype=torch.int32) - own
    valid = others > 0
    share = hits.float() / others.clamp(min=1).float()
    return share.sum() / valid.sum()


@torch.no_grad()
def homologous_accuracy(keep: torch.Tensor, source_ids: torch.Tensor,
                        num_extra_tokens: int = 1) -> torch.Tensor:
    """Share of kept patch keys (not the query's own) from its source.

    With ``G`` sources of ``N / G`` patches each, keys picked at random
    give ``(N/G - 1) / (N - 1)``, about ``1 / G`` (0.246 for ``G = 4``,
    ``N = 196``); 1 means every kept key is homologous.

    Args:
        keep (torch.Tensor): Bool ``(B, H, L, L)`` from
            :func:`topk_keep_mask`.
        source_ids (torch.Tensor): ``(B, N)`` source of every patch.
        num_extra_tokens (int): Leading cls columns/rows, not counted.

    Returns:
        torch.Tensor: Scalar, averaged over images, heads and the patch
        queries that keep a key other than their own.
    """
    kept = keep[..., num_extra_tokens:, num_extra_tokens:]
    return _homologous_share(kept, source_ids)


def _scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Float32 attention logits ``(B, H, L, L)`` of float32 ``q``, ``k``."""
    return (q * q.shape[-1]**-0.5) @ k.transpose(-2, -1)


def _topk_softmax_(scores: torch.Tensor, threshold: Optional[torch.Tensor],
                   num_extra_tokens: int) -> torch.Tensor:
    """TopK softmax of every row of ``scores``, in place.

    A patch key is kept where ``score >= threshold``, tested as
    ``score - t > 0`` with ``t`` the float just below the threshold: an
    in-place subtraction (a shift of the row, which softmax ignores) and
    ``F.threshold_`` (``-inf`` where not positive) mask the rows without a
    mask tensor, much faster on CPU than ``masked_fill``; the fused softmax
    then runs in place (a hand-written ``exp_`` is several times slower on
    CPU for the ``-inf`` entries).

    Args:
        scores (torch.Tensor): Float32 logits ``(B, H, L, L)``,
            overwritten.
        threshold (torch.Tensor, optional): ``(B, H, L, 1)``; None keeps
            every key.
        num_extra_tokens (int): Leading always-kept keys.

    Returns:
        torch.Tensor: ``scores``, now the probabilities.
    """
    if threshold is not None:
        scores.sub_(
            torch.nextafter(threshold, threshold.new_tensor(-math.inf)))
        extra = scores[..., :num_extra_tokens].clone()
        # whole contiguous rows (in place on the strided patch columns
        # would copy them), then the always-kept columns are put back
        F.threshold_(scores, 0., -math.inf)
        scores[..., :num_extra_tokens] = extra
    return torch.softmax(scores, dim=-1, out=scores)


class _TopKAttention(torch.autograd.Function):
    """``softmax(TopK(q k^T * scale)) v`` that stores no ``L x L`` tensor.

    Forward keeps ``q, k, v``, the output and each row's TopK threshold;
    backward recomputes the probabilities from them, as memory-efficient
    attention kernels do: the only ``L x L`` tensors are the transient
    scores and their gradient.  Float32 inside whatever the autocast state
    (fp16 logits can overflow); the output has ``v``'s dtype.  With
    ``source_ids`` it also returns ``homo_acc`` (not differentiable; see
    :func:`homologous_accuracy`).
    """

    @staticmethod
    def forward(ctx, q, k, v, topk, num_extra_tokens, source_ids):
        with torch.autocast(q.device.type, enabled=False):
            scores = _scores(q.float(), k.float())
            patch_scores = scores[..., num_extra_tokens:]
            threshold = None
            if topk < patch_scores.shape[-1]:
                threshold = _topk_threshold(patch_scores, topk)
            acc = None
            if source_ids is not None:
                patch_rows = patch_scores[..., num_extra_tokens:, :]
                kept = torch.ones_like(patch_rows, dtype=torch.bool) \
                    if threshold is None else \
                    patch_rows >= threshold[..., num_extra_tokens:, :]
                acc = _homologous_share(kept, source_ids)
                ctx.mark_non_differentiable(acc)
            probs = _topk_softmax_(scores, threshold, num_extra_tokens)
            out = probs @ v.float()
        ctx.save_for_backward(q, k, v, out, threshold)
        ctx.num_extra_tokens = num_extra_tokens
        return out.to(v.dtype), acc

    @staticmethod
    def backward(ctx, grad_out, _grad_acc):
        q, k, v, out, threshold = ctx.saved_tensors
        with torch.autocast(q.device.type, enabled=False):
            q32, k32, v32 = q.float(), k.float(), v.float()
            grad_out = grad_out.float()
            probs = _topk_softmax_(
                _scores(q32, k32), threshold, ctx.num_extra_tokens)
            grad_v = probs.transpose(-2, -1) @ grad_out
            # softmax backward: dS = P * (dP - rowsum(dO * O))
            grad_scores = (grad_out @ v32.transpose(-2, -1)).sub_(
                (grad_out * out).sum(-1, keepdim=True)).mul_(probs)
            scale = q.shape[-1]**-0.5
            grad_q = (grad_scores @ k32).mul_(scale)
            grad_k = (grad_scores.transpose(-2, -1) @ q32).mul_(scale)
        return (grad_q.to(q.dtype), grad_k.to(k.dtype), grad_v.to(v.dtype),
                None, None, None)


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

    def _qkv(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        B, L, _ = x.shape
        qkv = self.qkv(x).reshape(B, L, 3, self.num_heads,
                                  self.head_dims).permute(2, 0, 3, 1, 4)
        # one copy here saves several inside the matmuls
        return qkv.contiguous().unbind(0)

    def attention_probs(self, x: torch.Tensor
                        ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Compute the TopK-masked attention probabilities.

        Args:
            x (torch.Tensor): Tokens ``(B, L, C)``.

        Returns:
            tuple: ``probs`` ``(B, H, L, L)`` in float32, the kept-key mask
            ``(B, H, L, L)`` and the values ``(B, H, L, C / H)``.
        """
        q, k, v = self._qkv(x)
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

        ``homo_acc`` is :func:`homologous_accuracy`: each query's own key is
        not counted, so chance level is about ``1 / G``.

        Args:
            x (torch.Tensor): Tokens ``(B, L, C)``.
            source_ids (torch.Tensor, optional): ``(B, N)`` source index of
                every patch (the mixing mask).

        Returns:
            tuple: Output tokens ``(B, L, C)`` and the homologous accuracy
            (a scalar tensor, or None without ``source_ids``).
        """
        B, L, _ = x.shape
        _check_topk(self.topk, L - self.num_extra_tokens)
        if self.training and self.attn_drop > 0:
            # dropout needs the probabilities: the simple, storing path
            probs, keep, v = self.attention_probs(x)
            probs = F.dropout(probs, self.attn_drop)
            out = probs.to(v.dtype) @ v
            acc = None if source_ids is None else homologous_accuracy(
                keep, source_ids, self.num_extra_tokens)
        else:
            q, k, v = self._qkv(x)
            out, acc = _TopKAttention.apply(q, k, v, self.topk,
                                            self.num_extra_tokens,
                                            source_ids)
        out = out.transpose(1, 2).reshape(B, L, self.embed_dims)
        out = self.out_drop(self.gamma1(self.proj_drop(self.proj(out))))
        return out, acc
