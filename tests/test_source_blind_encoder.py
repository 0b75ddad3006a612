"""No source information enters the encoder by default, and every method
of one architecture starts from the same encoder weights."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mixedae_mm.models import MixedAEViT
from mixedae_mm.proxy import METHODS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TINY = dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=128)


def _encoder(**kwargs) -> MixedAEViT:
    torch.manual_seed(0)
    model = MixedAEViT(arch=TINY, img_size=32, patch_size=8, **kwargs)
    model.init_weights()
    model.eval()  # (VisionTransformer.train returns None)
    return model


def _relabelled(x: torch.Tensor, mask: torch.Tensor, perm: torch.Tensor):
    """The same tokens at the same positions, with source ``s`` of every
    group renamed ``perm[s]``: image ``g * G + s`` moves to ``g * G +
    perm[s]`` and the mask says ``perm[M]``."""
    G = len(perm)
    moved = torch.empty_like(x)
    for g in range(x.shape[0] // G):
        for s in range(G):
            moved[g * G + int(perm[s])] = x[g * G + s]
    return moved, perm[mask]


@pytest.mark.parametrize('segment_embed', [False, True])
def test_relabelling_the_sources_changes_nothing_without_segment_embed(
        segment_embed):
    model = _encoder(segment_embed=segment_embed)
    if segment_embed:  # make the four embeddings clearly different
        torch.nn.init.normal_(model.segment_embed, std=1.)
    torch.manual_seed(1)
    x = torch.randn(8, 3, 32, 32)
    mask = torch.stack([torch.randperm(16) % 4 for _ in range(2)])
    perm = torch.tensor([2, 0, 3, 1])
    moved, relabelled = _relabelled(x, mask, perm)
    # the relabelled input really is the same mixed image
    tokens = model.patch_embed(x)[0]
    tokens_moved = model.patch_embed(moved)[0]
    for g in range(2):
        for n in range(16):
            torch.testing.assert_close(
                tokens[g * 4 + int(mask[g, n]), n],
                tokens_moved[g * 4 + int(relabelled[g, n]), n])
    with torch.no_grad():
        latent, _, acc = model(x, mask=mask)
        latent_moved, _, acc_moved = model(moved, mask=relabelled)
    if segment_embed:
        assert (latent - latent_moved).abs().max() > 1e-2
    else:
        torch.testing.assert_close(latent, latent_moved, rtol=0, atol=1e-5)
        assert acc.item() == pytest.approx(acc_moved.item(), abs=1e-6)


def test_default_is_source_blind_in_code_and_base_config():
    assert _encoder().segment_embed is None
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/models/mixedae_vit-base-p16.py'))
    assert cfg.model.backbone.segment_embed is False


def _encoder_state(config: str, seed: int = 0) -> dict:
    from mmengine.hub import get_config
    from mmpretrain.registry import MODELS

    import mixedae_mm  # noqa: F401
    init_default_scope('mmpretrain')
    cfg = get_config(config) if '::' in config else Config.fromfile(config)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.backbone.state_dict()


def _assert_same_encoder(reference: dict, other: dict, name: str) -> None:
    assert set(other) - set(reference) <= {'segment_embed'}, name
    differ = [k for k in reference if not torch.equal(reference[k], other[k])]
    assert not differ, f'{name}: {len(differ)} tensors differ, e.g. ' \
        f'{differ[:3]}'


def test_every_proxy_row_starts_from_the_mae_encoder():
    """Paired initialisation: same seed, bit-identical encoder weights for
    MMPretrain's MAE and every MixedAE row of the proxy."""
    vits = {n: m for n, m in METHODS.items() if m.family != 'siamese'}
    assert {'mae', 'mixedae', 'naive-mixing', 'no-homo-attn',
            'no-homo-contrastive', 'segment-embed'} <= set(vits)
    reference = _encoder_state(osp.join(ROOT, vits['mae'].config))
    for name, method in vits.items():
        state = _encoder_state(osp.join(ROOT, method.config))
        _assert_same_encoder(reference, state, name)
    # and a different seed gives different weights (the check can fail)
    other = _encoder_state(osp.join(ROOT, vits['mixedae'].config), seed=1)
    assert not torch.equal(reference['layers.0.attn.qkv.weight'],
                           other['layers.0.attn.qkv.weight'])


@pytest.mark.slow
def test_vit_b_mixedae_starts_from_the_mae_encoder():
    """The same for ViT-B: MMPretrain's own MAE config and ours."""
    mae = _encoder_state(
        'mmpretrain::mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py')
    for name in ('mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py',
                 'ablations/mixedae-segment-embed_vit-base-p16_8xb512-amp-'
                 'coslr-300e_in1k.py'):
        state = _encoder_state(osp.join(ROOT, 'configs', 'mixedae', name))
        _assert_same_encoder(mae, state, name)
