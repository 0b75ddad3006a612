"""The downstream configs and the model zoo files."""
import copy
import functools
import glob
import importlib
import os.path as osp
import re
import types

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT
from mixedae_mm.tools.train import set_work_dir

BENCHMARKS = osp.join(ROOT, 'configs', 'mixedae', 'benchmarks')
FINETUNE = osp.join(BENCHMARKS, 'vit-base-p16_8xb128-coslr-100e_in1k.py')
LINEAR = osp.join(BENCHMARKS, 'vit-base-p16_8xb2048-linear-coslr-90e_in1k.py')
UPERNET = osp.join(BENCHMARKS, 'mmseg',
                   'upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py')
MASK_RCNN = osp.join(
    BENCHMARKS, 'mmdet',
    'mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py')
MASK_RCNN_8 = osp.join(
    BENCHMARKS, 'mmdet',
    'mask-rcnn_vit-base-p16_simple-fpn_8xb4-accum2-amp-lsj-100e_coco.py')
TINY_SEG = osp.join(BENCHMARKS, 'mmseg',
                    'upernet_vit-tiny-p8_1xb2-2i_ade20k-64px.py')
TINY_DET = osp.join(BENCHMARKS, 'mmdet',
                    'mask-rcnn_vit-tiny-p8_simple-fpn_1xb2-2i_coco-128px.py')
DOWNSTREAM = sorted(
    glob.glob(osp.join(BENCHMARKS, '*.py')) +
    glob.glob(osp.join(BENCHMARKS, 'mmseg', '*.py')) +
    glob.glob(osp.join(BENCHMARKS, 'mmdet', '*.py')))
# a model-zoo entry's config: <task>_vit-<arch>-p16_<pre-training>-pre_<...>
ENTRY = re.compile(r'^(?P<head>(?:upernet_|mask-rcnn_)?vit-(?P<arch>\w+)-p16)_'
                   r'(?P<pre>mixedae(?:-full|-full-star)?)-(?P<epochs>\d+)e-'
                   r'pre_(?P<tail>.+)\.py$')
ENTRIES = [p for p in DOWNSTREAM if ENTRY.match(osp.basename(p))]
FULL_SIZE = [p for p in DOWNSTREAM if 'tiny' not in osp.basename(p)]
GENERIC = [p for p in FULL_SIZE if p not in ENTRIES]
PRETRAINING = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'mixedae', '*.py')) +
    [osp.join(ROOT, 'configs', 'mixedae_vit-b_1600e.py')])
WIDTH = {'small': 384, 'base': 768, 'large': 1024}

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


@functools.lru_cache(maxsize=None)
def _load(path: str) -> Config:
    """Each config parsed once; callers that change it take a copy."""
    return Config.fromfile(path)


def _last_checkpoint(path: str) -> str:
    """Where the pre-training of ``path`` writes its last checkpoint: the
    work dir tools/train.py gives it without --work-dir, and the file name
    of mmengine's CheckpointHook."""
    cfg = copy.deepcopy(_load(path))
    set_work_dir(cfg, None, path)
    checkpoint = cfg.default_hooks.checkpoint
    epochs = cfg.train_cfg.max_epochs
    # the last epoch is saved: by epoch, at an interval dividing the epochs
    assert checkpoint.get('by_epoch', True)
    assert epochs % checkpoint.interval == 0
    return osp.normpath(osp.join(cfg.work_dir, f'epoch_{epochs}.pth'))


@functools.lru_cache(maxsize=None)
def _pretraining_outputs() -> dict:
    """Last checkpoint of every full-size pre-training -> its configs."""
    outputs = {}
    for path in PRETRAINING:
        if 'tiny' in path:
            continue
        outputs.setdefault(_last_checkpoint(path), []).append(path)
    return outputs


def _width(cfg: Config) -> int:
    arch = cfg.model.backbone.arch
    return {'b': 768, 'base': 768, 'l': 1024, 'large': 1024,
            'deit-s': 384}[arch]


def _scope(path):
    return {'mmseg': 'mmseg', 'mmdet': 'mmdet'}.get(
        osp.basename(osp.dirname(path)), 'mmpretrain')


def test_every_family_has_generic_entry_and_tiny_configs():
    names = {osp.relpath(p, BENCHMARKS) for p in DOWNSTREAM}
    for path in (FINETUNE, LINEAR, UPERNET, MASK_RCNN, MASK_RCNN_8):
        assert path in DOWNSTREAM
    # fine-tuning, linear probing, UperNet, Mask R-CNN on 16 and 8 GPUs,
    # for ViT-S, ViT-B and ViT-L
    assert len(GENERIC) == 3 * 5, sorted(osp.basename(p) for p in GENERIC)
    # 8 pre-trainings x 4 tasks
    assert len(ENTRIES) == 8 * 4, len(ENTRIES)
    assert len([n for n in names if 'tiny' in n]) == 3


@pytest.mark.parametrize(
    'path', DOWNSTREAM, ids=[osp.basename(p) for p in DOWNSTREAM])
def test_config_imports_us_and_checks_the_pretrained_backbone(path):
    cfg = _load(path)
    # runs from the libraries' own tools/train.py too
    assert 'mixedae_mm' in cfg.custom_imports['imports']
    assert cfg.default_scope == _scope(path)
    init_cfg = cfg.model.backbone.init_cfg
    assert init_cfg.type == 'Pretrained' and init_cfg.prefix == 'backbone.'
    hooks = [h.type for h in cfg.custom_hooks]
    if _scope(path) == 'mmpretrain':  # epoch-based: any number of GPUs
        assert hooks == ['CheckPretrainedWeightsHook']
    else:  # counts iterations: its batch layout is checked
        assert hooks == ['CheckPretrainedWeightsHook', 'CheckBatchLayoutHook']
        assert cfg.model.backbone.type == 'mmpretrain.VisionTransformer'
        assert cfg.train_dataloader.collate_fn.type == 'pseudo_collate'


def test_finetune_is_maes_recipe():
    cfg = _load(FINETUNE)
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.65
    assert cfg.train_cfg.max_epochs == 100
    augments = [a.type for a in cfg.model.train_cfg.augments]
    assert augments == ['Mixup', 'CutMix']
    assert cfg.model.head.loss.label_smooth_val == 0.1
    assert 'RandAugment' in [t.type for t in cfg.train_pipeline]
    assert cfg.custom_hooks[0].allowed_missing == ['ln2.*']
    linear = _load(LINEAR)
    assert linear.model.backbone.frozen_stages == 12
    assert linear.custom_hooks[0].get('allowed_unexpected') is None


def test_upernet_is_maes_ade20k_recipe():
    cfg = _load(UPERNET)
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
    cfg = _load(MASK_RCNN)
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


@pytest.mark.parametrize(
    'path', FULL_SIZE, ids=[osp.basename(p) for p in FULL_SIZE])
def test_default_checkpoint_is_where_a_pretraining_ends(path):
    cfg = _load(path)
    checkpoint = osp.normpath(cfg.model.backbone.init_cfg.checkpoint)
    outputs = _pretraining_outputs()
    assert checkpoint in outputs, (
        f'{osp.basename(path)} loads {checkpoint}, which no pre-training '
        f'config writes; they write {sorted(outputs)}')
    # ... and that pre-training has this backbone's width
    for pretraining in outputs[checkpoint]:
        assert _width(_load(pretraining)) == _width(cfg)


def test_the_short_name_and_its_long_name_end_in_one_checkpoint():
    outputs = _pretraining_outputs()
    last = osp.join('work_dirs',
                    'mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k',
                    'epoch_1600.pth')
    assert sorted(osp.basename(p) for p in outputs[last]) == [
        'mixedae_vit-b_1600e.py',
        'mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'
    ]
    # the main journey's downstream configs load it
    for path in (FINETUNE, LINEAR, UPERNET, MASK_RCNN, MASK_RCNN_8):
        assert _load(path).model.backbone.init_cfg.checkpoint == last


@pytest.mark.parametrize(
    'path', ENTRIES, ids=[osp.basename(p) for p in ENTRIES])
def test_entry_config_is_its_recipe_with_its_pretraining(path):
    match = ENTRY.match(osp.basename(path))
    arch, epochs = match['arch'], match['epochs']
    pretraining = osp.join(
        ROOT, 'configs', 'mixedae',
        f'{match["pre"]}_vit-{arch}-p16_8xb512-amp-coslr-{epochs}e_in1k.py')
    assert osp.isfile(pretraining), pretraining
    cfg = _load(path)
    assert osp.normpath(cfg.model.backbone.init_cfg.checkpoint) == \
        _last_checkpoint(pretraining)
    assert _width(cfg) == WIDTH[arch] == _width(_load(pretraining))
    # nothing else differs from the recipe it names
    recipe = osp.join(osp.dirname(path),
                      f'{match["head"]}_{match["tail"]}.py')
    expected = copy.deepcopy(_load(recipe)._cfg_dict.to_dict())
    expected['model']['backbone']['init_cfg']['checkpoint'] = \
        cfg.model.backbone.init_cfg.checkpoint
    expected['pretrained'] = cfg.pretrained
    assert cfg._cfg_dict.to_dict() == expected


def test_every_zoo_entry_loads_its_own_pretraining():
    models = {m['Name']: m for m in _metafile_models()}
    pretrainings = [
        m for m in models.values() if m['Config'].startswith(
            'configs/mixedae/mixed') and 'tiny' not in m['Config']
    ]
    assert len(pretrainings) == 8
    for pretraining in pretrainings:
        expected = _last_checkpoint(osp.join(ROOT, pretraining['Config']))
        tasks = []
        for name in pretraining['Downstream']:
            config = models[name]['Config']
            assert osp.basename(config) == name + '.py'
            cfg = _load(osp.join(ROOT, config))
            assert osp.normpath(
                cfg.model.backbone.init_cfg.checkpoint) == expected, name
            tasks.append('coco' if name.startswith('mask-rcnn') else
                         'ade20k' if name.startswith('upernet') else
                         'linear' if 'linear' in name else 'finetune')
        assert sorted(tasks) == ['ade20k', 'coco', 'finetune', 'linear']


def test_zoo_page_gives_every_entry_its_command():
    readme = open(osp.join(ROOT, 'configs', 'mixedae', 'README.md')).read()
    for path in ENTRIES:
        relpath = osp.relpath(path, ROOT)
        assert f'tools/dist_train.sh {relpath} 8' in readme, relpath


def test_linear_probe_scales_its_lr_for_16384_images():
    """mmengine's own ``Runner.scale_lr`` on the linear-probe configs."""
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    for path in (LINEAR, LINEAR.replace('vit-base', 'vit-large'),
                 LINEAR.replace('vit-base', 'vit-small')):
        cfg = _load(path)
        assert cfg.train_dataloader.batch_size == 2048
        for world_size, expected in ((8, 6.4), (4, 3.2), (16, 12.8)):
            with DefaultScope.overwrite_default_scope('mmpretrain'):
                wrapper = build_optim_wrapper(  # LARS, lr 6.4
                    torch.nn.Linear(2, 2),
                    dict(type='OptimWrapper',
                         optimizer=dict(cfg.optim_wrapper.optimizer)))
            runner = types.SimpleNamespace(
                _train_dataloader=cfg.train_dataloader,
                world_size=world_size,
                param_schedulers=cfg.param_scheduler,
                logger=MMLogger.get_current_instance())
            Runner.scale_lr(runner, wrapper,
                            dict(cfg.auto_scale_lr, enable=True))
            lr = wrapper.optimizer.param_groups[0]['lr']
            # MAE's rule: 0.1 x total batch / 256
            assert lr == pytest.approx(0.1 * world_size * 2048 / 256)
            assert lr == pytest.approx(expected)


def _without_schedule(cfg: Config) -> dict:
    """A Mask R-CNN config minus what its batch layout changes."""
    d = copy.deepcopy(cfg._cfg_dict.to_dict())
    for key in ('train_cfg', 'param_scheduler', 'default_hooks',
                'auto_scale_lr', 'custom_hooks', 'max_iters', 'interval',
                'accumulative_counts'):
        d.pop(key, None)
    d['optim_wrapper'].pop('accumulative_counts', None)
    return d


@pytest.mark.parametrize('arch', ['small', 'base', 'large'])
def test_coco_on_8_gpus_keeps_the_16_gpu_recipe(arch):
    sixteen = _load(MASK_RCNN.replace('vit-base', f'vit-{arch}'))
    eight = _load(MASK_RCNN_8.replace('vit-base', f'vit-{arch}'))
    assert _without_schedule(eight) == _without_schedule(sixteen)
    # 64 images per optimizer step, at the same lr
    assert 16 * sixteen.train_dataloader.batch_size == 64
    assert sixteen.optim_wrapper.get('accumulative_counts', 1) == 1
    assert eight.train_dataloader.batch_size == 4
    assert eight.optim_wrapper.accumulative_counts == 2
    assert eight.optim_wrapper.optimizer.lr == 1e-4
    # every iteration count doubled: 184375 steps (100 epochs), warm-up
    # 250 steps, lr x 0.1 after steps 163889 and 177546 (epochs 88, 96)
    assert eight.train_cfg.max_iters == 368750
    warmup, steps = eight.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end) == ('LinearLR', 0, 500)
    assert warmup.start_factor == 0.001
    assert steps.type == 'MultiStepLR' and steps.end == 368750
    assert steps.milestones == [327778, 355092] and steps.gamma == 0.1
    assert eight.train_cfg.val_interval == 10000
    assert eight.default_hooks.checkpoint.interval == 10000
    assert eight.train_cfg.dynamic_intervals == [(360001, 368750)]
    # --auto-scale-lr counts 8 x 4: no change on 8 GPUs
    assert eight.auto_scale_lr.base_batch_size == 32


def _batch_hook(path):
    from mmengine.registry import HOOKS

    import mixedae_mm  # noqa: F401
    cfg = _load(path)
    hook_cfg = next(h for h in cfg.custom_hooks
                    if h.type == 'CheckBatchLayoutHook')
    return cfg, HOOKS.build(copy.deepcopy(hook_cfg))


@pytest.mark.parametrize('path,world_size', [(MASK_RCNN, 16),
                                             (MASK_RCNN_8, 8),
                                             (UPERNET, 8)],
                         ids=['coco-16', 'coco-8', 'ade20k'])
def test_iteration_schedules_refuse_another_number_of_gpus(path, world_size):
    cfg, hook = _batch_hook(path)
    runner = types.SimpleNamespace(cfg=cfg, world_size=world_size)
    hook.before_train(runner)  # the layout it was written for passes
    for other in (world_size // 2, world_size * 2):
        runner.world_size = other
        with pytest.raises(RuntimeError) as error:
            hook.before_train(runner)
        message = str(error.value)
        per_iter = other * cfg.train_dataloader.batch_size
        assert f'{per_iter} images per iteration' in message
        assert 'x the images of the schedule' in message
    if path == MASK_RCNN:  # names the way out
        runner.world_size = 8
        with pytest.raises(RuntimeError, match='8xb4-accum2'):
            hook.before_train(runner)
    # 8 x 4 images without the accumulation is refused too
    if path == MASK_RCNN_8:
        with pytest.raises(RuntimeError, match='and 1 iteration'):
            hook.check(8, 4, 1)


def _param_groups(path):
    """Build a tiny downstream model and its optimizer's param groups."""
    from mmengine.optim import build_optim_wrapper

    import mixedae_mm  # noqa: F401
    cfg = copy.deepcopy(_load(path))
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    cfg.model.backbone.init_cfg = None
    registry = importlib.import_module(f'{cfg.default_scope}.registry')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = registry.MODELS.build(cfg.model)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    groups = {g['param_name']: g for g in wrapper.optimizer.param_groups}
    assert set(groups) == {n for n, _ in model.named_parameters()}
    return model, groups, cfg.optim_wrapper.optimizer.weight_decay


def test_upernet_weight_decay_is_mmsegs_rule():
    model, groups, wd = _param_groups(TINY_SEG)
    for name, param in model.named_parameters():
        # mmseg's LearningRateDecayOptimizerConstructor: no decay on 1-d
        # weights and biases; pos_embed and cls_token are decayed
        no_decay = param.ndim == 1 or name.endswith('.bias')
        assert groups[name]['weight_decay'] == (0.0 if no_decay else wd), \
            name
    assert groups['backbone.pos_embed']['weight_decay'] == wd
    assert groups['backbone.cls_token']['weight_decay'] == wd


def test_mask_rcnn_weight_decay_is_vitdets_rule():
    model, groups, wd = _param_groups(TINY_DET)
    # ViTDet: no decay on the LayerNorms of the backbone's blocks and on
    # pos_embed; everything else (biases, neck and head norms) decayed;
    # the cls token (ViTDet has none) not decayed, as in MAE's rule
    no_decay = {'backbone.pos_embed', 'backbone.cls_token'}
    for module_name, module in model.backbone.layers.named_modules():
        if isinstance(module, torch.nn.LayerNorm):
            no_decay |= {
                f'backbone.layers.{module_name}.{n}'
                for n, _ in module.named_parameters()
            }
    assert len(no_decay) == 2 + 4 * 2 * 2  # 4 blocks x 2 LNs
    for name, _ in model.named_parameters():
        expected = 0.0 if name in no_decay else wd
        assert groups[name]['weight_decay'] == expected, name
    assert groups['backbone.layers.0.attn.qkv.bias']['weight_decay'] == wd


def test_batch_layout_hook_says_what_is_wrong():
    from mixedae_mm.transfer import CheckBatchLayoutHook
    with pytest.raises(ValueError, match='images_per_iter must be a pos'):
        CheckBatchLayoutHook(images_per_iter=0)
    with pytest.raises(ValueError, match='accumulative_counts must be'):
        CheckBatchLayoutHook(images_per_iter=8, accumulative_counts=1.5)
    hook = CheckBatchLayoutHook(images_per_iter=64, hint='Use the other.')
    with pytest.raises(RuntimeError, match='needs train_dataloader.batch'):
        hook.check(16, None, 1)
    with pytest.raises(RuntimeError) as error:
        hook.check(8, 4, 1)
    assert str(error.value).endswith('Use the other.')
    assert '8 process(es) x 4 images = 32 images per iteration' in \
        str(error.value)
    assert '0.5 x the images of the schedule' in str(error.value)
    hook.check(32, 2, 1)  # 64 images per iteration in another split


@pytest.mark.parametrize('name', ['vit-large-p16_8xb128-coslr-50e_in1k.py',
                                  'vit-large-p16_8xb2048-linear-coslr-90e_'
                                  'in1k.py'])
def test_vit_large_classification_is_mmpretrains_mae_recipe(name):
    import mmpretrain
    reference = Config.fromfile(
        osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs', 'mae',
                 'benchmarks', name)).to_dict()
    ours = _load(osp.join(BENCHMARKS, name)).to_dict()
    assert ours['model']['backbone'].pop('init_cfg')['checkpoint'] == (
        'work_dirs/mixedae_vit-large-p16_8xb512-amp-coslr-1600e_in1k/'
        'epoch_1600.pth')
    reference['model']['backbone'].pop('init_cfg')

    def unscoped(value):  # mmengine marks what came through 'mmpretrain::'
        if isinstance(value, dict):
            return {
                k: unscoped(v)
                for k, v in value.items() if k != '_scope_'
            }
        if isinstance(value, (list, tuple)):
            return type(value)(unscoped(v) for v in value)
        return value

    ours, reference = unscoped(ours), unscoped(reference)
    for key in ('model', 'optim_wrapper', 'param_scheduler', 'train_cfg',
                'train_dataloader', 'val_dataloader', 'randomness'):
        assert ours[key] == reference[key], key
