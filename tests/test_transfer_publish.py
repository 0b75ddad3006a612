"""tools/publish_backbone.py: the encoder alone, for the model zoo."""
import hashlib
import os.path as osp
import re

import pytest
import torch
from mmpretrain.models import VisionTransformer

from mixedae_mm.models import MixedAEViT
from mixedae_mm.tools import publish_backbone

TINY = dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=128)


@pytest.fixture
def pretraining_checkpoint(tmp_path):
    torch.manual_seed(0)
    # the ablation with a segment embedding: publishing must drop it
    encoder = MixedAEViT(arch=TINY, img_size=32, patch_size=8,
                         segment_embed=True)
    encoder.init_weights()
    state = {f'backbone.{k}': v for k, v in encoder.state_dict().items()}
    state['neck.mask_token'] = torch.zeros(1, 1, 8)
    path = tmp_path / 'iter_2.pth'
    torch.save(
        dict(
            meta=dict(iter=2, cfg='model = dict()', seed=0),
            state_dict=state,
            optimizer=dict(state={})), path)
    return str(path), encoder


def test_published_backbone_loads_strictly_into_a_vit(pretraining_checkpoint,
                                                      tmp_path):
    in_file, encoder = pretraining_checkpoint
    out, = publish_backbone.main(
        [in_file, str(tmp_path / 'zoo' / 'mixedae_vit-tiny.pth')])
    match = re.fullmatch(r'mixedae_vit-tiny-([0-9a-f]{8})\.pth',
                         osp.basename(out))
    assert match, out
    with open(out, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest()[:8] == match.group(1)

    published = torch.load(out, weights_only=True)  # plain data only
    assert set(published) == {'meta', 'state_dict'}
    assert published['meta']['dropped_keys'] == ['segment_embed']
    assert published['meta']['iter'] == 2
    assert published['meta']['source'] == 'iter_2.pth'
    assert 'seed' not in published['meta']

    vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8)
    vit.load_state_dict(published['state_dict'], strict=True)
    for key, value in vit.state_dict().items():
        torch.testing.assert_close(value, encoder.state_dict()[key])


def test_no_backbone_keys_is_an_error(tmp_path):
    path = tmp_path / 'resnet.pth'
    torch.save({'state_dict': {'conv1.weight': torch.zeros(1)}}, path)
    with pytest.raises(KeyError, match=r"\['conv1\.'\]"):
        publish_backbone.publish_backbone(str(path), str(tmp_path / 'x.pth'))
