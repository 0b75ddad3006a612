import math

import pytest
import torch

from mixedae_mm.models.losses import HomologousContrastiveLoss


def reference_loss(features, ids, tau):
    """Supervised contrastive loss written out with loops."""
    total, count = 0.0, 0
    for f, lab in zip(features, ids):
        z = torch.nn.functional.normalize(f.double(), dim=-1)
        n = len(z)
        for a in range(n):
            positives = [p for p in range(n) if p != a and lab[p] == lab[a]]
            if not positives:
                continue
            denom = sum(
                math.exp(float(z[a] @ z[k]) / tau) for k in range(n)
                if k != a)
            total += -sum(
                math.log(math.exp(float(z[a] @ z[p]) / tau) / denom)
                for p in positives) / len(positives)
            count += 1
    return total / count


def test_equals_hand_written_reference():
    torch.manual_seed(0)
    features = torch.randn(2, 8, 6)
    ids = torch.tensor([[0, 1, 2, 3] * 2, [3, 3, 1, 1, 0, 0, 2, 2]])
    loss = HomologousContrastiveLoss(temperature=0.3, loss_weight=1.0)
    assert loss(features, ids).item() == pytest.approx(
        reference_loss(features, ids, 0.3), rel=1e-5)


def test_loss_weight_scales():
    features, ids = torch.randn(1, 8, 6), torch.tensor([[0, 1] * 4])
    one = HomologousContrastiveLoss(0.25, loss_weight=1.0)(features, ids)
    half = HomologousContrastiveLoss(0.25, loss_weight=0.5)(features, ids)
    assert half.item() == pytest.approx(0.5 * one.item())


def test_clustered_features_give_lower_loss_than_shuffled():
    torch.manual_seed(0)
    ids = torch.arange(4).repeat_interleave(8)[None]  # 4 sources x 8 patches
    centres = torch.randn(4, 16) * 3
    clustered = centres[ids] + 0.3 * torch.randn(1, 32, 16)
    shuffled = clustered[:, torch.randperm(32)]
    loss = HomologousContrastiveLoss(0.25, 1.0)
    assert loss(clustered, ids) < loss(shuffled, ids) - 0.5


def test_anchor_without_positive_is_skipped():
    ids = torch.tensor([[0, 1, 1, 1]])  # patch 0 has no positive
    features = torch.randn(1, 4, 3)
    loss = HomologousContrastiveLoss(0.5, 1.0)(features, ids)
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(reference_loss(features, ids, 0.5),
                                        rel=1e-5)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_precision_with_large_logits_is_finite(dtype):
    # identical, huge features: logits 1/tau at a tiny temperature
    features = (torch.ones(2, 16, 8) * 6e4).to(dtype)
    features[:, ::2] *= -1
    ids = torch.tensor([[0, 1] * 8] * 2)
    loss = HomologousContrastiveLoss(temperature=1e-3, loss_weight=1.0)
    out = loss(features, ids)
    assert torch.isfinite(out)
    with torch.autocast('cpu', dtype=dtype):
        out = loss(torch.randn(2, 16, 8, dtype=dtype) * 1e3, ids)
    assert torch.isfinite(out)


def test_gradient_is_finite():
    features = torch.randn(2, 8, 4, requires_grad=True)
    ids = torch.tensor([[0, 1] * 4] * 2)
    HomologousContrastiveLoss(0.05, 1.0)(features, ids).backward()
    assert torch.isfinite(features.grad).all()


def test_bad_temperature_is_rejected():
    with pytest.raises(ValueError, match='temperature'):
        HomologousContrastiveLoss(temperature=0)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_gives_the_float32_loss_and_gradient(dtype):
    # the similarities must not be computed in low precision under autocast
    torch.manual_seed(0)
    features = torch.randn(2, 16, 32, requires_grad=True)
    ids = torch.tensor([[0, 1, 2, 3] * 4] * 2)
    loss = HomologousContrastiveLoss(temperature=0.25, loss_weight=1.0)
    ref = loss(features, ids)
    (ref_grad, ) = torch.autograd.grad(ref, features)
    with torch.autocast('cpu', dtype=dtype):
        out = loss(features, ids)
    (grad, ) = torch.autograd.grad(out, features)
    assert out.dtype == torch.float32
    assert abs(out.item() - ref.item()) <= 1e-6
    torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-7)


def test_projector_is_the_loss_of_the_projected_features():
    torch.manual_seed(0)
    features = torch.randn(2, 16, 8, requires_grad=True)
    ids = torch.tensor([[0, 1, 2, 3] * 4] * 2)
    state = torch.get_rng_state()
    loss = HomologousContrastiveLoss(0.25, 1.0, projector=(8, 12, 5))
    # built without drawing from the global generator (paired init)
    assert torch.equal(torch.get_rng_state(), state)
    fc1, _, fc2 = loss.projector
    assert (fc1.in_features, fc1.out_features, fc2.out_features) == (8, 12,
                                                                      5)
    projected = fc2(torch.nn.functional.gelu(fc1(features)))
    plain = HomologousContrastiveLoss(0.25, 1.0)
    assert loss(features, ids).item() == pytest.approx(
        plain(projected, ids).item(), abs=1e-6)
    loss(features, ids).backward()
    assert fc1.weight.grad.abs().sum() > 0 and features.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='projector must be'):
        HomologousContrastiveLoss(projector=(8, 12))
