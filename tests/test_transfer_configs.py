"""The downstream configs and the model zoo files."""
import glob
import importlib
import os.path as osp

import pytest
import yaml
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT

BENCHMARKS = osp.join(ROOT, 'configs', 'mixedae', 'benchmarks')
FINETUNE = osp.join(BENCHMARKS, 'vit-base-p16_8xb128-coslr-100e_in1k.py')
LINEAR = osp.join(BENCHMARKS, 'vit-base-p16_8xb2048-linear-coslr-90e_in1k.py')
UPERNET = osp.join(BENCHMARKS, 'mmseg',
                   'upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py')
MASK_RCNN = osp.join(
    BENCHMARKS, 'mmdet',
    'mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py')
DOWNSTREAM = sorted(
    glob.glob(osp.join(BENCHMARKS, '*.py')) +
    glob.glob(osp.join(BENCHMARKS, 'mmseg', '*.py')) +
    glob.glob(osp.join(BENCHMARKS, 'mmdet', '*.py')))

# METHOD.md §7, ViT-B/16: pre-training config -> (IN-1K top-1, ADE20K mIoU,
# COCO box AP, COCO mask AP), as reported by the paper
PAPER = {
    'mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k':
    (83.1, 47.0, 47.8, 41.6),
    'mixedae_vit-base-p16_8xb512-amp-coslr-800e_in1k':
    (83.5, 48.7, 50.3, 43.5),
    'mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k':
    (83.9, 49.8, 51.5, 44.5),
    'mixedae-full-star_vit-base-p16_8xb512-amp-coslr-300e_in1k':
    (83.7, 47.4, 48.9, 42.5),
    'mixedae-full_vit-base-p16_8xb512-amp-coslr-300e_in1k':
    (83.8, 48.9, 51.0, 44.1),
}


def _scope(path):
    return {'mmseg': 'mmseg', 'mmdet': 'mmdet'}.get(
        osp.basename(osp.dirname(path)), 'mmpretrain')


def test_every_family_has_a_full_and_a_tiny_config():
    names = [osp.relpath(p, BENCHMARKS) for p in DOWNSTREAM]
    assert len(names) == 7, names
    for path in (FINETUNE, LINEAR, UPERNET, MASK_RCNN):
        assert path in DOWNSTREAM


@pytest.mark.parametrize(
    'path', DOWNSTREAM, ids=[osp.basename(p) for p in DOWNSTREAM])
def test_config_imports_us_and_checks_the_pretrained_backbone(path):
    cfg = Config.fromfile(path)
    # runs from the libraries' own tools/train.py too
    assert 'mixedae_mm' in cfg.custom_imports['imports']
    assert cfg.default_scope == _scope(path)
    init_cfg = cfg.model.backbone.init_cfg
    assert init_cfg.type == 'Pretrained' and init_cfg.prefix == 'backbone.'
    assert [h.type for h in cfg.custom_hooks] == [
        'CheckPretrainedWeightsHook'
    ]
    if _scope(path) != 'mmpretrain':
        assert cfg.model.backbone.type == 'mmpretrain.VisionTransformer'
        assert cfg.train_dataloader.collate_fn.type == 'pseudo_collate'


def test_finetune_is_maes_recipe():
    cfg = Config.fromfile(FINETUNE)
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.65
    assert cfg.train_cfg.max_epochs == 100
    augments = [a.type for a in cfg.model.train_cfg.augments]
    assert augments == ['Mixup', 'CutMix']
    assert cfg.model.head.loss.label_smooth_val == 0.1
    assert 'RandAugment' in [t.type for t in cfg.train_pipeline]
    assert cfg.custom_hooks[0].allowed_missing == ['ln2.*']
    linear = Config.fromfile(LINEAR)
    assert linear.model.backbone.frozen_stages == 12
    assert linear.custom_hooks[0].get('allowed_unexpected') is None


def test_upernet_is_maes_ade20k_recipe():
    cfg = Config.fromfile(UPERNET)
    backbone = cfg.model.backbone
    assert backbone.out_indices == (3, 5, 7, 11)
    assert backbone.out_type == 'featmap' and not backbone.final_norm
    # no relative position bias anywhere: MixedAE's encoder has none
    assert 'rel' not in ' '.join(backbone.keys())
    assert cfg.model.neck.type == 'Feature2Pyramid'
    assert cfg.model.decode_head.type == 'UPerHead'
    assert cfg.model.auxiliary_head.type == 'FCNHead'
    assert cfg.model.decode_head.num_classes == 150
    assert cfg.crop_size == (512, 512)
    assert cfg.train_cfg.max_iters == 160000
    assert cfg.optim_wrapper.constructor == \
        'BackboneLayerDecayOptimWrapperConstructor'
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.65
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'


def test_mask_rcnn_is_vitdets_recipe():
    cfg = Config.fromfile(MASK_RCNN)
    assert cfg.model.type == 'MaskRCNN'
    assert cfg.model.neck.type == 'SimpleFeaturePyramid'
    assert cfg.model.neck.norm_cfg.type == 'LN2d'
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.7
    assert cfg.train_cfg.max_iters == 184375
    jitter = next(t for t in cfg.train_pipeline if t.type == 'RandomResize')
    assert jitter.scale == (1024, 1024) and jitter.ratio_range == (0.1, 2.0)


@pytest.mark.slow
@pytest.mark.parametrize('path', [FINETUNE, UPERNET, MASK_RCNN],
                         ids=['finetune', 'upernet', 'mask-rcnn'])
def test_full_size_model_builds_with_its_layer_decay(path):
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(path)
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    cfg.optim_wrapper.type = 'OptimWrapper'  # AMP needs a GPU
    cfg.optim_wrapper.pop('loss_scale', None)
    registry = importlib.import_module(f'{cfg.default_scope}.registry')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = registry.MODELS.build(cfg.model)
        groups = build_optim_wrapper(model, cfg.optim_wrapper)
    assert sum(p.numel() for p in model.backbone.parameters()) > 85e6
    rate = cfg.optim_wrapper.paramwise_cfg.layer_decay_rate
    lrs = {
        g['param_name']: g['lr'] for g in groups.optimizer.param_groups
    }
    base = cfg.optim_wrapper.optimizer.lr
    assert lrs['backbone.patch_embed.projection.weight'] == \
        pytest.approx(base * rate**13)
    assert lrs['backbone.layers.11.attn.qkv.weight'] == \
        pytest.approx(base * rate)


def _metafile_models():
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    models = []
    for metafile in imports:
        with open(osp.join(ROOT, metafile)) as f:
            models += yaml.safe_load(f)['Models']
    return models


def test_model_zoo_lists_existing_configs_and_no_weights():
    models = _metafile_models()
    names = {m['Name'] for m in models}
    assert len(names) == len(models)
    for model in models:
        assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
        assert 'Weights' not in model  # nothing published yet
        assert model['In Collection'] in ('MixedAE', 'MixMask')
        for downstream in model.get('Downstream', []):
            assert downstream in names
        if model['Results']:
            assert 'reported by the paper' in \
                model['Metadata']['Results Source']


def test_model_zoo_numbers_are_the_papers():
    models = {m['Name']: m for m in _metafile_models()}
    found = {}
    for pretrain, numbers in PAPER.items():
        metrics = {}
        for name in models[pretrain]['Downstream']:
            for result in models[name]['Results'] or []:
                metrics.update(result['Metrics'])
        found[pretrain] = (metrics['Top 1 Accuracy'], metrics['mIoU'],
                           metrics['box AP'], metrics['mask AP'])
    assert found == PAPER
    readme = open(osp.join(ROOT, 'configs', 'mixedae', 'README.md')).read()
    for numbers in PAPER.values():
        for number in numbers:
            assert str(number) in readme
