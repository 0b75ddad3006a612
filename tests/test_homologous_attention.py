import pytest
import torch
import torch.nn.functional as F
from test_reference_equivalence import sorted_topk_keep

from mixedae_mm.models.utils import (HomologousAttention, homologous_accuracy,
                                     topk_keep_mask)


def reference_homologous_attention(attn: HomologousAttention, x, topk):
    """Sort-based, loop-based reference of TopK attention (cls kept)."""
    B, L, C = x.shape
    H = attn.num_heads
    qkv = attn.qkv(x).reshape(B, L, 3, H, C // H).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    scores = q @ k.transpose(-2, -1) / (C // H)**0.5
    out = torch.empty_like(q)
    for b in range(B):
        for h in range(H):
            for i in range(L):
                row = scores[b, h, i]
                order = torch.sort(row[1:], descending=True).indices[:topk]
                kept = torch.cat([torch.tensor([0]), order + 1])
                weights = torch.softmax(row[kept], dim=0)
                out[b, h, i] = weights @ v[b, h, kept]
    out = out.transpose(1, 2).reshape(B, L, C)
    return attn.proj(out)


def _attention(dim=32, heads=4, topk=3):
    torch.manual_seed(0)
    return HomologousAttention(topk=topk, embed_dims=dim, num_heads=heads)


def test_equals_sort_based_reference():
    attn = _attention(topk=3).eval()
    x = torch.randn(2, 1 + 8, 32)
    out, acc = attn(x)
    assert acc is None
    assert out.shape == (2, 9, 32)
    ref = reference_homologous_attention(attn, x, topk=3)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_equals_plain_attention_when_k_is_n():
    attn = _attention(topk=8).eval()
    x = torch.randn(2, 9, 32)
    out, _ = attn(x)
    B, L, C = x.shape
    qkv = attn.qkv(x).reshape(B, L, 3, 4, 8).permute(2, 0, 3, 1, 4)
    plain = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
    plain = attn.proj(plain.transpose(1, 2).reshape(B, L, C))
    torch.testing.assert_close(out, plain, rtol=1e-5, atol=1e-5)


def test_keep_mask_keeps_topk_plus_cls_per_row():
    scores = torch.randn(3, 2, 1 + 16, 1 + 16)
    keep = topk_keep_mask(scores, topk=4, num_extra_tokens=1)
    assert keep[..., 0].all()
    assert (keep[..., 1:].sum(-1) == 4).all()
    # the kept ones are the largest
    kept_min = scores[..., 1:].masked_fill(~keep[..., 1:], float('inf'))
    dropped_max = scores[..., 1:].masked_fill(keep[..., 1:], -float('inf'))
    assert (kept_min.amin(-1) > dropped_max.amax(-1)).all()


def test_all_equal_scores_keep_everything_and_stay_finite():
    attn = _attention(topk=2).eval()
    for p in attn.parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(1, 9, 32)
    out, _ = attn(x)
    assert torch.isfinite(out).all()
    scores = torch.zeros(1, 1, 9, 9)
    assert topk_keep_mask(scores, 2).all()


@pytest.mark.parametrize('topk', [0, 9])
def test_topk_outside_range_is_rejected(topk):
    with pytest.raises(ValueError, match=r'topk must be in \[1, 8\]'):
        topk_keep_mask(torch.randn(1, 1, 9, 9), topk)


def test_homo_acc_is_one_when_scores_separate_sources():
    # 8 patches of 2 sources; scores are high between same-source patches
    source_ids = torch.tensor([[0, 1, 0, 1, 1, 0, 0, 1]])
    same = (source_ids[0, :, None] == source_ids[0, None, :]).float()
    scores = torch.zeros(1, 2, 9, 9)
    scores[..., 1:, 1:] = same * 5 + torch.randn(2, 8, 8) * 0.1
    keep = topk_keep_mask(scores, topk=4)
    assert homologous_accuracy(keep, source_ids).item() == 1.0
    # scores that prefer the other source give 0
    keep = topk_keep_mask(-scores, topk=4)
    assert homologous_accuracy(keep, source_ids).item() == 0.0


def reference_homo_acc(keep, source_ids):
    """Loop over queries: homologous share of the kept keys but its own."""
    keep = keep[..., 1:, 1:]
    B, H, N, _ = keep.shape
    shares = []
    for b in range(B):
        for h in range(H):
            for i in range(N):
                others = [j for j in range(N) if j != i and keep[b, h, i, j]]
                if others:
                    same = [j for j in others
                            if source_ids[b, j] == source_ids[b, i]]
                    shares.append(len(same) / len(others))
    return sum(shares) / len(shares)


def test_homo_acc_leaves_out_the_own_key_and_matches_loop_reference():
    torch.manual_seed(0)
    source_ids = torch.tensor([[0, 1, 2, 3] * 4, [3, 3, 2, 2, 1, 1, 0, 0] * 2])
    scores = torch.randn(2, 3, 17, 17)
    # a large diagonal: every query keeps its own key, which must not count
    scores[..., 1:, 1:] += 10 * torch.eye(16)
    keep = topk_keep_mask(scores, topk=4)
    assert keep[..., 1:, 1:].diagonal(dim1=-2, dim2=-1).all()
    assert homologous_accuracy(keep, source_ids).item() == pytest.approx(
        reference_homo_acc(keep, source_ids), abs=1e-6)


def test_homo_acc_with_every_key_kept_is_chance_level():
    # N = 8 patches of G = 2 sources: chance is (N/G - 1) / (N - 1) = 3/7,
    # not 4/8 as when each query's own key is counted
    source_ids = torch.tensor([[0, 1, 0, 1, 1, 0, 0, 1]])
    keep = torch.ones(1, 2, 9, 9, dtype=torch.bool)
    assert homologous_accuracy(keep, source_ids).item() == pytest.approx(3 / 7)
    # the forward's fused path (topk = N) measures the same
    attn = _attention(topk=8).eval()
    _, acc = attn(torch.randn(1, 9, 32), source_ids)
    assert acc.item() == pytest.approx(3 / 7)


def test_homo_acc_is_nan_when_no_query_keeps_another_key():
    source_ids = torch.tensor([[0, 1, 0, 1]])
    scores = torch.zeros(1, 1, 5, 5)
    scores[..., 1:, 1:] = torch.eye(4)
    keep = topk_keep_mask(scores, topk=1)
    assert torch.isnan(homologous_accuracy(keep, source_ids))


def sorted_keep(attn: HomologousAttention, x: torch.Tensor, topk: int):
    """The kept keys ``(B, H, L, L)`` of ``attn`` on ``x``, computed here:
    the cls column and the patch keys scoring at least the row's
    ``topk``-th largest patch score (found by sorting)."""
    B, L, C = x.shape
    d = C // attn.num_heads
    qkv = attn.qkv(x).reshape(B, L, 3, attn.num_heads, d).detach()
    q, k = qkv[:, :, 0].transpose(1, 2), qkv[:, :, 1].transpose(1, 2)
    return sorted_topk_keep(q @ k.transpose(-2, -1) / d**0.5, topk)


@pytest.mark.parametrize('attn_drop', [0., 0.1])
def test_homo_acc_from_forward_matches_loop_reference(attn_drop):
    attn = HomologousAttention(
        topk=4, embed_dims=32, num_heads=4, attn_drop=attn_drop).train()
    x = torch.randn(2, 17, 32)
    source_ids = torch.tensor([[0, 1, 2, 3] * 4, [1, 0, 3, 2] * 4])
    _, acc = attn(x, source_ids)
    keep = sorted_keep(attn, x, topk=4)
    assert acc.item() == pytest.approx(
        reference_homo_acc(keep, source_ids), abs=1e-6)


def test_homo_acc_of_the_fast_path_matches_loop_reference():
    attn = _attention(topk=4).eval()
    x = torch.randn(2, 9, 32)
    source_ids = torch.tensor([[0, 1] * 4, [1, 0, 0, 1] * 2])
    _, acc = attn(x, source_ids)
    keep = sorted_keep(attn, x, topk=4)
    assert acc.item() == pytest.approx(
        reference_homo_acc(keep, source_ids), abs=1e-6)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_is_finite_and_close(dtype):
    attn = _attention(topk=3).eval()
    x = torch.randn(2, 9, 32)
    ref, _ = attn(x)
    with torch.autocast('cpu', dtype=dtype):
        out, _ = attn(x)
    assert torch.isfinite(out).all()
    # low-precision logits may swap a key at the TopK threshold, which moves
    # a few outputs; on average the result must stay close
    assert (out.float() - ref).abs().mean() < 0.02


def test_very_large_logits_stay_finite():
    attn = _attention(topk=3).eval()
    x = torch.randn(1, 9, 32) * 1e4
    out, _ = attn(x)
    assert torch.isfinite(out).all()


def test_has_exactly_the_parameters_of_multihead_attention():
    from mmpretrain.models.utils import MultiheadAttention
    plain = MultiheadAttention(embed_dims=32, num_heads=4)
    assert set(_attention().state_dict()) == set(plain.state_dict())
