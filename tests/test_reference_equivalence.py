"""The fast homologous attention and contrastive loss against plain
autograd formulations written here (independent references: a sort-based
TopK and a softmax over ``-inf``-masked logits)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mixedae_mm.models.losses import HomologousContrastiveLoss
from mixedae_mm.models.utils import HomologousAttention

L_PATCHES = 16


def sorted_topk_keep(scores: torch.Tensor, topk: int) -> torch.Tensor:
    """Keep, per row, the cls column and every patch key scoring at least
    the ``topk``-th largest patch score (found by sorting the row; ties at
    the threshold are all kept)."""
    patch = scores[..., 1:]
    threshold = patch.sort(dim=-1, descending=True).values[..., topk - 1:topk]
    keep = torch.ones_like(scores, dtype=torch.bool)
    keep[..., 1:] = patch >= threshold
    return keep


def reference_attention(attn: HomologousAttention, x: torch.Tensor):
    """TopK attention with autograd through a stored probability matrix:
    ``softmax(q k^T / sqrt(d))`` with the dropped keys set to ``-inf``."""
    B, L, C = x.shape
    d = C // attn.num_heads
    qkv = attn.qkv(x).reshape(B, L, 3, attn.num_heads, d)
    q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    keep = sorted_topk_keep(scores.detach(), attn.topk)
    probs = torch.softmax(
        torch.where(keep, scores, torch.full_like(scores, -math.inf)), -1)
    out = (probs @ v).transpose(1, 2).reshape(B, L, C)
    return attn.proj(out)


def reference_contrastive(features, ids, tau):
    """Supervised-contrastive loss through a log-probability matrix."""
    z = F.normalize(features.float(), dim=-1)
    logits = z @ z.transpose(1, 2) / tau
    eye = torch.eye(logits.shape[-1], dtype=torch.bool)
    log_prob = logits.masked_fill(eye, float('-inf')).log_softmax(-1)
    positives = (ids[:, :, None] == ids[:, None, :]) & ~eye
    num_pos = positives.sum(-1)
    per_anchor = log_prob.masked_fill(~positives, 0).sum(-1)
    has_pos = num_pos > 0
    return -(per_anchor[has_pos] / num_pos[has_pos]).mean()


def _attention(topk=4, dim=32, heads=4):
    torch.manual_seed(0)
    return HomologousAttention(topk=topk, embed_dims=dim, num_heads=heads)


def _grads(fn, x, module):
    out = fn(x)
    out = out[0] if isinstance(out, tuple) else out
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(
        1))
    return torch.autograd.grad((out.float() * weights).sum(),
                               [x, *module.parameters()])


@pytest.mark.parametrize('topk', [1, 4, L_PATCHES])
def test_output_and_gradients_equal_the_reference(topk):
    attn = _attention(topk)
    x = torch.randn(3, 1 + L_PATCHES, 32, requires_grad=True)
    out, _ = attn(x)
    torch.testing.assert_close(out, reference_attention(attn, x))
    fast = _grads(attn, x, attn)
    ref = _grads(lambda t: reference_attention(attn, t), x, attn)
    for a, b in zip(fast, ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_tied_scores_keep_every_key_in_forward_and_backward():
    attn = _attention(topk=2)
    torch.nn.init.zeros_(attn.qkv.weight)  # q = k = bias: equal scores
    x = torch.randn(2, 1 + L_PATCHES, 32, requires_grad=True)
    fast = _grads(attn, x, attn)
    ref = _grads(lambda t: reference_attention(attn, t), x, attn)
    for a, b in zip(fast, ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_no_length_by_length_tensor_is_saved_for_backward():
    attn = _attention()
    length = 1 + L_PATCHES
    x = torch.randn(2, length, 32, requires_grad=True)
    saved = []

    def pack(tensor):
        saved.append(tuple(tensor.shape))
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        attn(x, torch.randint(0, 4, (2, L_PATCHES)))
    assert saved, 'nothing saved: the hook did not see the attention'
    assert not [s for s in saved if s[-2:] == (length, length)], saved
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        saved.clear()
        reference_attention(attn, x)
    # the reference keeps its B x H x L x L probabilities: the check bites
    assert [s for s in saved if s[-2:] == (length, length)]


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_gradients_are_finite_and_close(dtype):
    attn = _attention()
    x = torch.randn(2, 1 + L_PATCHES, 32, requires_grad=True)
    ref = _grads(attn, x, attn)
    with torch.autocast('cpu', dtype=dtype):
        out, _ = attn(x)
        assert out.dtype == dtype
        low = _grads(attn, x, attn)
    for a, b in zip(low, ref):
        assert torch.isfinite(a).all()
        assert (a.float() - b).abs().mean() < 0.05 * b.abs().mean() + 1e-4


def test_dropout_path_matches_without_dropout_in_eval():
    torch.manual_seed(0)
    attn = HomologousAttention(
        topk=4, embed_dims=32, num_heads=4, attn_drop=0.5)
    x = torch.randn(2, 1 + L_PATCHES, 32)
    train_out, _ = attn.train()(x)
    eval_out, _ = attn.eval()(x)
    assert train_out.shape == eval_out.shape
    assert not torch.allclose(train_out, eval_out)
    torch.testing.assert_close(eval_out, reference_attention(attn, x))


def test_contrastive_loss_and_gradient_equal_the_reference():
    torch.manual_seed(0)
    features = torch.randn(3, 12, 8, requires_grad=True)
    ids = torch.tensor([[0, 1, 2, 3] * 3, [5, 5, 7, 7, 9, 9] * 2,
                        [0] * 11 + [1]])  # the last patch has no positive
    loss = HomologousContrastiveLoss(temperature=0.2, loss_weight=1.0)
    fast = loss(features, ids)
    ref = reference_contrastive(features, ids, 0.2)
    torch.testing.assert_close(fast, ref)
    grad_fast, = torch.autograd.grad(fast, features)
    grad_ref, = torch.autograd.grad(ref, features)
    torch.testing.assert_close(grad_fast, grad_ref)
