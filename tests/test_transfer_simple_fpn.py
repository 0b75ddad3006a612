"""ViTDet's simple feature pyramid in MMDetection's registry."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.registry import DefaultScope
from mmpretrain.models.utils import LayerNorm2d

from mixedae_mm.transfer import SimpleFeaturePyramid


def _neck(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='SimpleFeaturePyramid', in_channels=32, out_channels=16)
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmdet'):  # as in mmdet runs
        neck = MODELS.build(cfg)
    neck.init_weights()
    return neck


def test_pyramid_strides_from_one_vit_map():
    neck = _neck()
    assert isinstance(neck, SimpleFeaturePyramid)
    # a ViT map at stride 16 of a 128 px image -> strides 4, 8, ..., 64
    outs = neck((torch.randn(2, 32, 8, 8), ))
    assert [tuple(o.shape) for o in outs] == [(2, 16, 32, 32),
                                              (2, 16, 16, 16),
                                              (2, 16, 8, 8), (2, 16, 4, 4),
                                              (2, 16, 2, 2)]
    # P6 is P5 max-pooled with kernel 1, stride 2: every other pixel
    torch.testing.assert_close(outs[4], outs[3][..., ::2, ::2])


def test_levels_rescale_as_vitdet():
    neck = _neck()
    x = torch.randn(1, 32, 8, 8)
    up4, up2, same, down2 = neck.rescales
    assert up4(x).shape == (1, 8, 32, 32)  # C / 4 channels
    assert up2(x).shape == (1, 16, 16, 16)  # C / 2 channels
    torch.testing.assert_close(same(x), x)
    torch.testing.assert_close(down2(x), F.max_pool2d(x, 2))
    # LayerNorm over channels (mmpretrain's, registered as mmdet's LN2d)
    assert isinstance(up4[1], LayerNorm2d)
    assert isinstance(neck.lateral_convs[0].norm, LayerNorm2d)
    assert neck.lateral_convs[0].conv.bias is None  # the norm has one
    assert MODELS.get('LN2d') is LayerNorm2d


def test_fewer_levels_and_no_extra_level():
    neck = _neck(scale_factors=(2.0, 1.0), num_outs=2)
    outs = neck([torch.randn(1, 32, 4, 4)])
    assert [o.shape[-1] for o in outs] == [8, 4]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='scale factor 3 is not supported'):
        _neck(scale_factors=(3, ))
    with pytest.raises(ValueError, match='num_outs=2 is less than the 4'):
        _neck(num_outs=2)
    with pytest.raises(ValueError,
                       match=r"expects a \(B, 32, H, W\) feature map, got "
                       r"\(1, 65, 32\).*out_type='featmap'"):
        _neck()((torch.randn(1, 65, 32), ))
