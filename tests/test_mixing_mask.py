import pytest
import torch

from mixedae_mm.models.utils import (check_mixable, mix_tokens,
                                     num_sources_from_ratio,
                                     random_mixing_mask, source_visibility,
                                     unmix_tokens)


def test_each_source_gets_exactly_n_over_g_positions():
    mask = random_mixing_mask(num_groups=5, num_patches=48, num_sources=4)
    assert mask.shape == (5, 48)
    assert mask.dtype == torch.long
    counts = torch.stack([(mask == i).sum(1) for i in range(4)], 1)
    assert (counts == 12).all()


def test_masks_differ_between_steps():
    torch.manual_seed(0)
    first = random_mixing_mask(2, 64, 4)
    second = random_mixing_mask(2, 64, 4)
    assert not torch.equal(first, second)


def test_generator_makes_it_reproducible():
    a = random_mixing_mask(
        2, 16, 2, generator=torch.Generator().manual_seed(3))
    b = random_mixing_mask(
        2, 16, 2, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_mixing_takes_each_position_from_its_source():
    tokens = torch.randn(8, 16, 5)
    mask = random_mixing_mask(2, 16, 4)
    mixed = mix_tokens(tokens, mask)
    assert mixed.shape == (2, 16, 5)
    for g in range(2):
        for n in range(16):
            assert torch.equal(mixed[g, n], tokens[g * 4 + mask[g, n], n])


def test_mixing_then_unmixing_returns_the_original_tokens():
    tokens = torch.randn(8, 16, 5)
    mask = random_mixing_mask(2, 16, 4)
    fill = torch.full((1, 1, 5), -7.)
    unmixed = unmix_tokens(mix_tokens(tokens, mask), mask, fill, 4)
    visible = source_visibility(mask, 4)
    assert unmixed.shape == tokens.shape
    assert torch.equal(unmixed[visible], tokens[visible])
    assert (unmixed[~visible] == -7.).all()
    # each image keeps exactly N / G = 4 of its tokens
    assert (visible.sum(1) == 4).all()


def test_source_visibility_rows_follow_batch_order():
    mask = torch.tensor([[0, 1, 1, 0], [1, 0, 0, 1]])
    visible = source_visibility(mask, 2)
    assert visible.tolist() == [[True, False, False, True],
                                [False, True, True, False],
                                [False, True, True, False],
                                [True, False, False, True]]


@pytest.mark.parametrize('ratio,num', [(0.5, 2), (0.25, 4), (1 / 3, 3),
                                       (0.2, 5)])
def test_num_sources_from_ratio(ratio, num):
    assert num_sources_from_ratio(ratio) == num


@pytest.mark.parametrize('ratio', [0, -0.1, 0.6, 1.0])
def test_ratio_outside_range_is_rejected(ratio):
    with pytest.raises(ValueError, match=r'\(0, 0.5\]'):
        num_sources_from_ratio(ratio)


def test_ratio_whose_inverse_is_not_an_integer_is_rejected():
    with pytest.raises(ValueError, match='must be an integer'):
        num_sources_from_ratio(0.3)


def test_batch_not_divisible_names_the_numbers():
    with pytest.raises(ValueError, match='batch of 6 images .* 1/r = 4'):
        check_mixable(6, 16, 4)


def test_patches_not_divisible_names_the_numbers():
    with pytest.raises(ValueError, match='18 patches .* 1/r = 4'):
        check_mixable(8, 18, 4)
