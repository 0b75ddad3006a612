"""Every pre-training config loads, builds its model and its data pipeline.

The models are built on the meta device (shapes, no memory, no init), so
ViT-L costs nothing; what could be wrong -- a ``_base_`` path, a registry
name, an argument, an ablation switch that does not switch -- still fails.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import ROOT

CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'mixedae', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'mixedae', 'ablations', '*.py')) +
    [osp.join(ROOT, 'configs', 'mixedae_vit-b_1600e.py')])
WIDTH = {'tiny': 192, 'small': 384, 'base': 768, 'large': 1024}


def _width(name: str) -> int:
    if name == 'mixedae_vit-b_1600e.py':
        return WIDTH['base']
    return WIDTH[name.split('_vit-')[1].split('-')[0]]


def test_the_list_holds_every_pretraining_config():
    names = {osp.basename(c) for c in CONFIGS}
    assert len(names) >= 14
    for part in ('vit-small-p16_8xb512-amp-coslr-300e',
                 'vit-base-p16_8xb512-amp-coslr-800e',
                 'vit-large-p16_8xb512-amp-coslr-1600e', 'mixedae-full_',
                 'mixedae-full-star_', 'naive-mixing', 'no-homo-attn',
                 'no-homo-contrastive', 'mixedae-segment-embed'):
        assert any(part in n for n in names), part


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_its_model_and_pipeline(path):
    from mmpretrain.registry import MODELS, TRANSFORMS

    import mixedae_mm  # noqa: F401
    from mixedae_mm.models.utils import HomologousTransformerEncoderLayer
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    name = osp.basename(path)
    backbone = model.backbone
    assert backbone.embed_dims == _width(name)
    assert backbone.num_sources == 4
    assert model.neck.decoder_embed.in_features == backbone.embed_dims
    homologous = [isinstance(layer, HomologousTransformerEncoderLayer)
                  for layer in backbone.layers]
    no_attn = 'no-homo-attn' in name or 'naive-mixing' in name
    assert not any(homologous) if no_attn else all(homologous)
    # no source information enters the encoder, except in the ablation
    # that shows the shortcut
    with_segment = name.startswith('mixedae-segment-embed')
    assert (backbone.segment_embed is not None) == with_segment
    no_hc = 'no-homo-contrastive' in name or 'naive-mixing' in name
    assert (model.head.loss_hc is None) == no_hc
    assert (type(model).__name__ == 'MixedAEFull') == name.startswith(
        'mixedae-full')
    # the batch of a process must split into mixing groups
    assert cfg.train_dataloader.batch_size % backbone.num_sources == 0
    dataset = cfg.train_dataloader.dataset
    dataset = dataset.get('dataset', dataset)
    for step in dataset.pipeline:
        TRANSFORMS.build(step)


def test_short_name_writes_where_the_downstream_configs_read(monkeypatch):
    """tools/train.py's work dir: the canonical one, unless --work-dir."""
    from mixedae_mm.tools.train import merge_args, parse_args
    monkeypatch.setenv('LOCAL_RANK', '0')  # parse_args would export it
    short = osp.join(ROOT, 'configs', 'mixedae_vit-b_1600e.py')
    long = osp.join(ROOT, 'configs', 'mixedae',
                    'mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py')
    canonical = osp.join('work_dirs',
                         'mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k')
    for path in (short, long):
        cfg = merge_args(Config.fromfile(path), parse_args([path]))
        assert osp.normpath(cfg.work_dir) == canonical
        assert cfg.train_cfg.max_epochs == 1600
    cfg = merge_args(
        Config.fromfile(short), parse_args([short, '--work-dir', 'mine']))
    assert cfg.work_dir == 'mine'
