import numpy as np
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from mixedae_mm.models.utils import random_mixing_mask
from mixedae_mm.visualization import draw_reconstruction, reconstruct_group


def _model(cfg):
    init_default_scope('mmpretrain')
    cfg.data_preprocessor = dict(
        type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], to_rgb=True)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def test_reconstruct_group_shapes_and_pasted_patches(tiny_model_cfg):
    model = _model(tiny_model_cfg)
    images = torch.randn(4, 3, 64, 64)
    mask = random_mixing_mask(1, 64, 4, generator=torch.Generator()
                              .manual_seed(0))
    out = reconstruct_group(model, images, mask, query_patch=27)
    assert out['sources'].shape == (4, 64, 64, 3)
    assert out['reconstructions'].shape == (4, 64, 64, 3)
    assert out['mixed'].shape == (64, 64, 3)
    assert out['attention'].shape == (8, 8)
    # patch attention: the rest of the row's mass is on the cls key, and
    # keys TopK dropped get none
    assert 0 < out['attention'].sum() <= 1 + 1e-6
    assert out['kept'].sum() >= 16  # r * N keys (ties may add)
    assert (out['attention'][~out['kept']] == 0).all()
    assert np.array_equal(out['mix_mask'], mask.view(8, 8).numpy())
    # every patch of the mixed image is its source's patch, and each image's
    # shown patches are pasted unchanged into its reconstruction
    for i in range(8):
        for j in range(8):
            src = out['mix_mask'][i, j]
            block = np.s_[i * 8:(i + 1) * 8, j * 8:(j + 1) * 8]
            assert np.allclose(out['mixed'][block], out['sources'][src][block],
                               atol=1e-6)
            assert np.allclose(out['reconstructions'][src][block],
                               out['sources'][src][block], atol=1e-6)


def test_draw_writes_a_png(tiny_model_cfg, tmp_path):
    from PIL import Image
    model = _model(tiny_model_cfg)
    out = reconstruct_group(model, torch.randn(4, 3, 64, 64),
                            random_mixing_mask(1, 64, 4), query_patch=0)
    path = str(tmp_path / 'r.png')
    draw_reconstruction(out, 8, 0, path, ['a', 'b', 'c', 'd'])
    with Image.open(path) as img:
        assert img.size[0] > 600 and img.size[1] > 600
