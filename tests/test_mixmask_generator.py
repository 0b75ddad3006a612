"""MixMaskGenerator: lam is the mask's mean, block masks reach their target
cell count within the documented shortfall, discrete masks are never
uniform, and bad arguments are refused."""
import pytest
import torch

from mixedae_mm.models.utils import MixMaskGenerator


def cell_grid(mask: torch.Tensor, g: int) -> torch.Tensor:
    """The ``(g, g)`` grid of an upsampled mask whose size is a multiple of
    ``g``, after checking that every cell is constant."""
    h, w = mask.shape
    cells = mask.view(g, h // g, g, w // g).permute(0, 2, 1, 3)
    first = cells[..., :1, :1]
    assert torch.equal(cells, first.expand_as(cells)), 'a cell is not flat'
    return first[..., 0, 0]


@pytest.mark.parametrize('mode,g', [('block', 4), ('block', 8),
                                    ('discrete', 2), ('discrete', 4)])
def test_mask_is_a_binary_grid_and_lam_is_its_mean(mode, g):
    gen = MixMaskGenerator(g, mode=mode)
    torch.manual_seed(0)
    for _ in range(20):
        mask, lam = gen(64, 64)
        assert mask.shape == (64, 64) and mask.dtype == torch.float32
        assert set(mask.unique().tolist()) <= {0.0, 1.0}
        assert lam == pytest.approx(mask.mean().item(), abs=1e-7)
        grid = cell_grid(mask, g)
        assert lam == pytest.approx(grid.mean().item(), abs=1e-7)


def test_lam_is_the_pixel_share_when_cells_are_uneven():
    """30 px on a 4x4 grid: nearest upsampling gives cells of 7 or 8 px,
    and lam is the share of pixels, not of cells."""
    gen = MixMaskGenerator(4, mode='discrete')
    torch.manual_seed(1)
    mask, lam = gen(30, 30)
    assert mask.shape == (30, 30)
    assert lam == pytest.approx(mask.sum().item() / 900, abs=1e-7)


@pytest.mark.parametrize('g', [4, 8])
def test_block_masks_hit_the_target_within_the_documented_shortfall(g):
    """T = int(0.5 g^2) cells; a mask stops short only after 10 failed
    rectangles in a row. The module docstring documents: g = 4 hits T in
    99% of draws (never below 6), g = 8 in 95-97% (never below 30); the
    bounds here are looser so that another RNG stream still passes."""
    gen = MixMaskGenerator(g)
    target = int(0.5 * g * g)
    gen_rng = torch.Generator().manual_seed(0)
    counts = torch.tensor(
        [int(gen.grid(gen_rng).sum()) for _ in range(1000)])
    assert counts.max() <= target  # never more than T
    assert (counts == target).float().mean() >= 0.9
    assert counts.float().mean() >= target - 0.2
    assert counts.min() >= target - g  # a shortfall is a few cells


def test_fewer_tries_fall_short_more_often():
    """max_tries is the stopping rule: 1 try falls short of T in most
    masks, 200 tries almost never."""
    target = 32
    rng = torch.Generator().manual_seed(0)
    one = torch.tensor([
        int(MixMaskGenerator(8, max_tries=1).grid(rng).sum())
        for _ in range(300)
    ])
    many = torch.tensor([
        int(MixMaskGenerator(8, max_tries=200).grid(rng).sum())
        for _ in range(300)
    ])
    assert (one == target).float().mean() < 0.5
    assert (many == target).float().mean() > 0.99


def test_discrete_masks_are_never_uniform_and_follow_the_ratio():
    gen = MixMaskGenerator(2, mask_ratio=0.25, mode='discrete')
    rng = torch.Generator().manual_seed(0)
    grids = torch.stack([gen.grid(rng) for _ in range(2000)]).float()
    per_mask = grids.flatten(1).sum(1)
    assert ((per_mask > 0) & (per_mask < 4)).all()
    # S ~ Binomial(4, 0.25) redrawn until 0 < S < 4:
    # E[S | 0 < S < 4] = (E[S] - 4 P(S = 4)) / P(0 < S < 4) = 1.448
    expected = (4 * 0.25 - 4 * 0.25**4) / (1 - 0.75**4 - 0.25**4)
    assert per_mask.mean().item() == pytest.approx(expected, abs=0.06)


def test_a_ratio_range_draws_the_target_per_mask():
    gen = MixMaskGenerator(8, mask_ratio=(0.25, 0.75), max_tries=200)
    rng = torch.Generator().manual_seed(0)
    counts = torch.tensor([int(gen.grid(rng).sum()) for _ in range(300)])
    assert counts.min() >= 16 and counts.max() <= 48
    assert counts.float().std() > 5  # not one fixed target


def test_a_seed_reproduces_the_mask():
    gen = MixMaskGenerator(8)
    a, lam_a = gen(224, 224, generator=torch.Generator().manual_seed(7))
    b, lam_b = gen(224, 224, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b) and lam_a == lam_b
    torch.manual_seed(7)
    c, _ = gen(224, 224)
    torch.manual_seed(7)
    d, _ = gen(224, 224)
    assert torch.equal(c, d)


@pytest.mark.parametrize('kwargs,match', [
    (dict(grid_size=2), "mode='discrete'"),
    (dict(grid_size=1, mode='discrete'), 'grid_size'),
    (dict(grid_size=4, mode='cutmix'), 'mode'),
    (dict(grid_size=4, mask_ratio=0.0), 'mask_ratio'),
    (dict(grid_size=4, mask_ratio=1.0), 'mask_ratio'),
    (dict(grid_size=4, mask_ratio=(0.7, 0.3)), 'mask_ratio'),
    (dict(grid_size=4, mask_ratio=(0.1, 0.2, 0.3)), 'mask_ratio'),
    (dict(grid_size=4, min_aspect=2.0), 'min_aspect'),
    (dict(grid_size=4, max_tries=0), 'max_tries'),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MixMaskGenerator(**kwargs)


def test_an_image_smaller_than_the_grid_is_refused():
    with pytest.raises(ValueError, match='smaller than the 8x8'):
        MixMaskGenerator(8)(4, 32)
