"""The collapse signals logged by every Siamese row: ``emb_std`` (spread of
the L2-normalised embeddings) and ``view_cos`` (alignment of the views),
against hand-computed values."""
import math

import pytest
import torch

from mixedae_mm.models.utils import embedding_stats


def test_collapsed_embeddings_have_zero_spread_and_full_alignment():
    z = torch.tensor([[3., 4.]]).repeat(6, 1)  # one point for every image
    stats = embedding_stats(z, 2 * z)
    assert float(stats['emb_std']) == 0.0
    assert float(stats['view_cos']) == pytest.approx(1.0)


def test_values_on_a_hand_made_batch():
    online = torch.tensor([[2., 0.], [0., 5.]])  # unit vectors e1, e2
    target = torch.tensor([[1., 1.], [0., -3.]])
    stats = embedding_stats(online, target)
    # each dimension holds (1, 0) over the batch: sample std 1 / sqrt(2)
    assert float(stats['emb_std']) == pytest.approx(1 / math.sqrt(2))
    # cos(e1, (1, 1)) = 1 / sqrt(2), cos(e2, (0, -1)) = -1
    assert float(stats['view_cos']) == pytest.approx(
        (1 / math.sqrt(2) - 1) / 2)


def test_spread_of_uniform_directions_is_one_over_sqrt_d():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(4096, 128, generator=g)
    stats = embedding_stats(z, torch.randn(4096, 128, generator=g))
    assert float(stats['emb_std']) == pytest.approx(1 / math.sqrt(128),
                                                    rel=0.02)
    assert abs(float(stats['view_cos'])) < 0.01  # independent views


def test_no_gradient_and_scale_invariance():
    z = torch.randn(8, 16, requires_grad=True)
    t = torch.randn(8, 16)
    stats = embedding_stats(z, t)
    assert not any(v.requires_grad for v in stats.values())
    scaled = embedding_stats(7 * z, 0.5 * t)
    for key in ('emb_std', 'view_cos'):
        torch.testing.assert_close(stats[key], scaled[key])


@pytest.mark.parametrize('online,target,match', [
    ((4, 8), (4, 9), 'same shape'),
    ((4, 8, 1), (4, 8, 1), 'same shape'),
    ((1, 8), (1, 8), 'at least 2'),
])
def test_bad_shapes_are_refused(online, target, match):
    with pytest.raises(ValueError, match=match):
        embedding_stats(torch.randn(online), torch.randn(target))
