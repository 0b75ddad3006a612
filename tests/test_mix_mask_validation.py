"""A mixing mask passed to MixedAEViT.forward is checked before use."""
import pytest
import torch

from mixedae_mm.models import MixedAEViT
from mixedae_mm.models.utils import random_mixing_mask

TINY = dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=128)


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    model = MixedAEViT(arch=TINY, img_size=32, patch_size=8)
    model.init_weights()
    model.eval()
    return model


@pytest.fixture
def images():
    return torch.randn(8, 3, 32, 32)  # B = 8, G = 4: 2 groups, N = 16


def test_a_valid_mask_is_used_as_given(model, images):
    mask = random_mixing_mask(2, 16, 4, generator=torch.Generator()
                              .manual_seed(0))
    _, used, _ = model(images, mask=mask)
    assert used is mask
    # an int32 mask is as good as a long one
    latent32, _, _ = model(images, mask=mask.int())
    latent, _, _ = model(images, mask=mask)
    torch.testing.assert_close(latent32, latent)


@pytest.mark.parametrize('shape', [(1, 16), (2, 15), (8, 16), (2, 4, 4)])
def test_wrong_shape_is_named(model, images, shape):
    mask = torch.zeros(shape, dtype=torch.long)
    with pytest.raises(ValueError, match=r'shape \(B / G, N\) = \(2, 16\).*'
                       + r'got ' + r'\(' + ', '.join(map(str, shape))):
        model(images, mask=mask)


@pytest.mark.parametrize('dtype', [torch.float32, torch.bool])
def test_non_integer_mask_is_refused(model, images, dtype):
    mask = random_mixing_mask(2, 16, 4).to(dtype)
    with pytest.raises(TypeError, match=f'integer tensor.*got {dtype}'):
        model(images, mask=mask)


def test_source_index_out_of_range_is_named(model, images):
    mask = random_mixing_mask(2, 16, 4)
    mask[1, 3] = 4
    with pytest.raises(ValueError, match=r'outside \[0, 4\).*max 4'):
        model(images, mask=mask)


def test_unequal_shares_are_refused(model, images):
    mask = random_mixing_mask(2, 16, 4)
    row = mask[1]
    row[row == 1] = 0  # source 0 gets 8 positions, source 1 none
    with pytest.raises(ValueError, match=r'exactly r \* N = 4 of the 16 '
                       r'positions; row 1 has counts \[8, 0, 4, 4\]'):
        model(images, mask=mask)
