import pytest
import torch
from mmpretrain.models import VisionTransformer

from mixedae_mm.models import HomologousTransformerEncoderLayer, MixedAEViT

TINY = dict(embed_dims=64, num_layers=3, num_heads=4, feedforward_channels=128)


def _backbone(**kwargs):
    torch.manual_seed(0)
    cfg = dict(arch=TINY, img_size=32, patch_size=8)
    cfg.update(kwargs)
    model = MixedAEViT(**cfg)
    model.init_weights()
    return model


def test_forward_shapes_and_homo_acc():
    model = _backbone()
    latent, mask, acc = model(torch.randn(8, 3, 32, 32))
    assert latent.shape == (2, 17, 64)  # B / G mixed sequences of N + 1
    assert mask.shape == (2, 16)
    assert 0 <= acc.item() <= 1
    assert model.topk == 4  # r * N


def test_state_dict_loads_strictly_into_vision_transformer():
    model = _backbone(segment_embed=True)
    vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8,
                            out_type='raw')
    state = model.state_dict()
    assert set(state) - set(vit.state_dict()) == {'segment_embed'}
    assert model.pretrain_only_keys() == ['segment_embed']
    vit.load_state_dict(
        {k: v for k, v in state.items()
         if k not in model.pretrain_only_keys()}, strict=True)
    # and without mixing, the backbone *is* that VisionTransformer
    x = torch.randn(2, 3, 32, 32)
    model.eval(), vit.eval()
    torch.testing.assert_close(model(x, mask=None)[0], vit(x)[0])


def test_by_default_the_whole_state_dict_is_a_vit():
    model = _backbone()
    assert model.segment_embed is None
    vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8)
    vit.load_state_dict(model.state_dict(), strict=True)
    assert model.pretrain_only_keys() == []


def test_segment_embedding_is_added_by_source():
    model = _backbone(homo_attn_layers=(), segment_embed=True)
    mask = torch.tensor([[0, 1, 2, 3] * 4] * 2)
    x = torch.randn(8, 3, 32, 32)
    captured = []
    model.layers[0].register_forward_pre_hook(
        lambda m, args: captured.append(args[0]))
    model(x, mask=mask)
    tokens = model.patch_embed(x)[0] + model.pos_embed[:, 1:]
    expected = tokens.view(2, 4, 16, 64)[0, mask[0], torch.arange(16)]
    expected = expected + model.segment_embed[mask[0]]
    torch.testing.assert_close(captured[0][0, 1:], expected)


def test_homo_attn_layers_choose_the_layers():
    model = _backbone(homo_attn_layers=[0, -1])
    kinds = [isinstance(m, HomologousTransformerEncoderLayer)
             for m in model.layers]
    assert kinds == [True, False, True]
    none = _backbone(homo_attn_layers=())
    assert not any(isinstance(m, HomologousTransformerEncoderLayer)
                   for m in none.layers)
    _, _, acc = none(torch.randn(4, 3, 32, 32))
    assert acc is None


def test_homologous_layers_keep_the_drop_path_schedule():
    model = _backbone(drop_path_rate=0.2)
    probs = [m.attn.out_drop.drop_prob for m in model.layers]
    assert probs == pytest.approx([0.0, 0.1, 0.2])


def test_batch_not_divisible_by_group_size():
    with pytest.raises(ValueError, match=r'batch of 6 images .* 1/r = 4'):
        _backbone()(torch.randn(6, 3, 32, 32))


def test_image_size_not_divisible_by_patch():
    with pytest.raises(ValueError, match='not divisible by patch_size 8'):
        _backbone(img_size=36)


def test_input_of_another_size_is_rejected():
    with pytest.raises(ValueError, match=r'built for \(32, 32\)'):
        _backbone()(torch.randn(4, 3, 64, 64))


def test_patch_count_not_divisible_by_group_size():
    # 24 px / 8 = 3 x 3 = 9 patches, G = 4
    with pytest.raises(ValueError, match='9 patches .* 1/r = 4'):
        _backbone(img_size=24)


@pytest.mark.parametrize('ratio', [0.0, 0.75])
def test_ratio_outside_range(ratio):
    with pytest.raises(ValueError,
                       match=r'mixing_ratio must be in \(0, 0.5\]'):
        _backbone(mixing_ratio=ratio)


@pytest.mark.parametrize('topk', [0, 17])
def test_topk_outside_one_to_n(topk):
    with pytest.raises(ValueError,
                       match=r'topk must be in \[1, N\] = \[1, 16\]'):
        _backbone(topk=topk)


def test_homo_attn_layers_beyond_depth():
    with pytest.raises(ValueError, match='has layer 5, but the encoder has 3'):
        _backbone(homo_attn_layers=[0, 5])
