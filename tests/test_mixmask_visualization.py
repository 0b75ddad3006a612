"""The MixMask picture: what it draws is Eq. 1 of the paper and its λ."""
import re

import numpy as np
import pytest
import torch
from conftest import write_image_folder
from mmengine.config import Config
from PIL import Image

from mixedae_mm.models.utils import MixMaskGenerator
from mixedae_mm.tools import visualize_mixmask
from mixedae_mm.visualization import draw_mixmask, mixmask_batch

#: a tiny MixMask-MoCo v2 config (ResNet-18 on 32 px, grid 4)
TINY_MIXMASK = Config(
    dict(
        default_scope='mmpretrain',
        model=dict(
            type='MixMaskMoCo',
            queue_len=64,
            feat_dim=16,
            momentum=0.01,
            mask_cfg=dict(grid_size=4, mask_ratio=0.5, mode='block'),
            backbone=dict(
                type='ResNet', depth=18, base_channels=8, stem_channels=8),
            neck=dict(
                type='MoCoV2Neck', in_channels=64, hid_channels=64,
                out_channels=16, with_avg_pool=True),
            head=dict(
                type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
                temperature=0.2)),
        train_dataloader=dict(dataset=dict(pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='MultiView', num_views=2, transforms=[[
                dict(type='RandomResizedCrop', scale=32,
                     crop_ratio_range=(0.2, 1.)),
                dict(type='RandomFlip', prob=0.5)
            ]]),
            dict(type='PackInputs')
        ]))))


def _panels(drawn, pair, partner):
    """The five panels of one row, found by their titles."""
    def one(prefix):
        hits = [(t, a) for t, a in drawn.items() if t.startswith(prefix)]
        assert len(hits) == 1, (prefix, list(drawn))
        return hits[0]

    return dict(
        a=one(f'source a: img{pair} (#{pair})'),
        b=one(f'source b: img{partner} (#{partner})'),
        mask=one(f'mask M of #{pair} and #{partner}'),
        mixed=one(f'mixed view #{pair} ='),
        switch=one(f'switch view #{partner} ='))


@pytest.mark.parametrize('channels', [3, 1])
def test_drawn_mixed_view_is_eq1_of_the_drawn_sources(tmp_path, channels):
    generator = torch.Generator().manual_seed(3)
    images = torch.randint(0, 256, (4, channels, 32, 32),
                           generator=generator).float()
    mask, lam = MixMaskGenerator(grid_size=4)(32, 32, generator=generator)
    assert 0 < lam < 1
    # Eq. 1 written out by hand, image i with image N - 1 - i
    x_mix = torch.stack(
        [mask * images[i] + (1 - mask) * images[3 - i] for i in range(4)])
    result = mixmask_batch(images, mask, x_mix)
    out = tmp_path / 'm.png'
    drawn = draw_mixmask(result, str(out), grid_size=4,
                         names=[f'img{i}' for i in range(4)])
    with Image.open(out) as img:
        assert img.size[0] > 1000 and img.size[1] > 500
    assert len(drawn) == 2 * 5  # two pairs, five panels each
    for pair, partner in ((0, 3), (1, 2)):
        panels = _panels(drawn, pair, partner)
        a, b = panels['a'][1], panels['b'][1]
        drawn_mask = panels['mask'][1]
        assert set(np.unique(drawn_mask)) == {0., 1.}
        m = drawn_mask if a.ndim == 2 else drawn_mask[..., None]
        np.testing.assert_allclose(panels['mixed'][1], m * a + (1 - m) * b,
                                   atol=1e-6)
        np.testing.assert_allclose(panels['switch'][1],
                                   m * b + (1 - m) * a, atol=1e-6)
        # the sources really are the images (not, e.g., one image twice)
        np.testing.assert_allclose(
            a.reshape(32, 32, -1),
            images[pair].permute(1, 2, 0).numpy() / 255., atol=1e-6)
        # λ written in the titles is the drawn mask's mean
        shown = float(re.search(r'λ \(share of a\) = ([\d.]+)',
                                panels['mixed'][0]).group(1))
        assert shown == pytest.approx(drawn_mask.mean(), abs=5e-5)
        switch = float(re.search(r'1-λ = ([\d.]+)',
                                 panels['switch'][0]).group(1))
        assert switch == pytest.approx(1 - drawn_mask.mean(), abs=5e-5)
    assert result['lam'] == pytest.approx(float(mask.mean()))
    assert result['lam'] == pytest.approx(lam)


def test_mixmask_batch_checks_shapes():
    x = torch.zeros(2, 3, 8, 8)
    with pytest.raises(ValueError, match='mask must be'):
        mixmask_batch(x, torch.zeros(4, 4), x)
    with pytest.raises(ValueError, match='one shape'):
        mixmask_batch(x, torch.zeros(8, 8), x[:1])


def test_tool_mixes_with_the_algorithm_and_prints_lambda(tmp_path, capsys):
    files = write_image_folder(str(tmp_path / 'imgs'), num_classes=1,
                               per_class=4)
    config = tmp_path / 'tiny_mixmask.py'
    TINY_MIXMASK.dump(str(config))
    out = tmp_path / 'mixmask.png'
    assert visualize_mixmask.main(
        [str(config), *files, '--out', str(out), '--seed', '1']) == str(out)
    with Image.open(out) as img:
        assert img.size[0] > 1000
    printed = float(re.search(r'lambda = mean\(M\) = ([\d.]+)',
                              capsys.readouterr().out).group(1))

    # the tool's own mixing (the model's code path) against Eq. 1
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    model = MODELS.build(TINY_MIXMASK.model)
    images = visualize_mixmask.load_images(files, 32)
    x_mix, mask, lam = visualize_mixmask.mix_batch(model, images, seed=1)
    assert mask.shape == (32, 32)
    assert lam == pytest.approx(float(mask.mean()))
    assert printed == pytest.approx(lam, abs=5e-5)
    expected = mask * images + (1 - mask) * images.flip(0)
    torch.testing.assert_close(x_mix, expected)


def test_tool_refuses_bad_input(tmp_path):
    files = write_image_folder(str(tmp_path / 'imgs'), num_classes=1,
                               per_class=3)
    config = tmp_path / 'tiny_mixmask.py'
    TINY_MIXMASK.dump(str(config))
    out = str(tmp_path / 'x.png')
    with pytest.raises(ValueError, match='even number of images'):
        visualize_mixmask.main([str(config), *files, '--out', out])
    plain = tmp_path / 'plain.py'
    cfg = Config.fromfile(str(config))
    cfg.model.pop('mask_cfg')
    cfg.model.type = 'MoCo'
    cfg.dump(str(plain))
    with pytest.raises(ValueError, match='has no mask_cfg'):
        visualize_mixmask.main([str(plain), *files[:2], '--out', out])
