"""Pre-train -> fine-tune, UperNet and Mask R-CNN, on tiny data sets written
in the real on-disk formats, with our tools/train.py and with MMSeg's and
MMDet's own training scripts."""
import importlib
import json
import os
import os.path as osp
import subprocess
import sys

import mmdet
import mmpretrain
import mmseg
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from PIL import Image

from conftest import ROOT, tiny_runner_cfg, write_image_folder
from mixedae_mm.models import MixedAEViT
from mixedae_mm.transfer import (PretrainedWeightsError,
                                 load_backbone_state_dict)

pytestmark = pytest.mark.slow

BENCHMARKS = osp.join(ROOT, 'configs', 'mixedae', 'benchmarks')
CLS = osp.join(BENCHMARKS, 'vit-tiny-p8_1xb8-2i_demo-64px.py')
SEG = osp.join(BENCHMARKS, 'mmseg',
               'upernet_vit-tiny-p8_1xb2-2i_ade20k-64px.py')
DET = osp.join(BENCHMARKS, 'mmdet',
               'mask-rcnn_vit-tiny-p8_simple-fpn_1xb2-2i_coco-128px.py')
OURS = osp.join(ROOT, 'tools', 'train.py')
MMPRETRAIN = osp.join(
    osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'train.py')
MMSEG = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'train.py')
MMDET = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')
# one thread per run: two shared cores are much faster without contention
ENV = dict(os.environ, OMP_NUM_THREADS='1')
KEY = 'layers.0.attn.qkv.weight'


def write_ade20k_folder(root: str, num_images: int = 4, size=(96, 64)):
    """ADE20K's layout: images/{training,validation}/*.jpg and
    annotations/.../*.png with labels 0 (other) to 150."""
    rng = np.random.default_rng(0)
    w, h = size
    for split, prefix in (('training', 'train'), ('validation', 'val')):
        for kind in ('images', 'annotations'):
            os.makedirs(osp.join(root, kind, split), exist_ok=True)
        for i in range(num_images):
            name = f'ADE_{prefix}_{i:08d}'
            img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            label = np.zeros((h, w), np.uint8)
            label[:, w // 3:] = 1 + i % 3
            label[h // 2:, :w // 2] = 5
            Image.fromarray(img).save(
                osp.join(root, 'images', split, name + '.jpg'))
            Image.fromarray(label).save(
                osp.join(root, 'annotations', split, name + '.png'))


def write_coco_dataset(root: str, num_images: int = 4, size: int = 128):
    """COCO's layout: {train,val}2017/*.jpg and annotations/instances_*.json
    (the 80 categories, one box with its polygon per image)."""
    from mmdet.datasets import CocoDataset
    categories = [
        dict(id=i + 1, name=name)
        for i, name in enumerate(CocoDataset.METAINFO['classes'])
    ]
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    for split in ('train2017', 'val2017'):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        for i in range(num_images):
            x, y, bw, bh = 10 + 8 * i, 12 + 4 * i, 60, 48
            img = np.full((size, size, 3), 40, np.uint8)
            img[y:y + bh, x:x + bw] = (200, 60, 60)
            name = f'{i + 1:012d}.jpg'
            Image.fromarray(img).save(osp.join(root, split, name))
            images.append(
                dict(id=i + 1, file_name=name, width=size, height=size))
            annotations.append(
                dict(
                    id=i + 1,
                    image_id=i + 1,
                    category_id=1 + i % 2,
                    bbox=[x, y, bw, bh],
                    area=bw * bh,
                    iscrowd=0,
                    segmentation=[[x, y, x + bw, y, x + bw, y + bh, x,
                                   y + bh]]))
        with open(osp.join(root, 'annotations', f'instances_{split}.json'),
                  'w') as f:
            json.dump(
                dict(
                    images=images,
                    annotations=annotations,
                    categories=categories), f)


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory, image_root):
    """A MixedAE checkpoint of the tiny config, pre-trained 2 iterations."""
    work_dir = tmp_path_factory.mktemp('pretrain')
    Runner.from_cfg(tiny_runner_cfg(str(work_dir), image_root)).train()
    return str(work_dir / 'iter_2.pth')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('downstream_data')
    # the layout of data/demo: 11 classes, one image each
    write_image_folder(str(root / 'cls' / 'train'), num_classes=11,
                       per_class=1)
    write_ade20k_folder(str(root / 'ade'))
    write_coco_dataset(str(root / 'coco'))
    return root


def _options(config, data, checkpoint):
    options = [f'model.backbone.init_cfg.checkpoint={checkpoint}']
    if config == CLS:
        root = data / 'cls'
        return options + [
            f'train_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}'
        ]
    if config == SEG:
        root = data / 'ade'
        return options + [
            f'train_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}'
        ]
    root = data / 'coco'
    return options + [
        f'train_dataloader.dataset.data_root={root}/',
        f'val_dataloader.dataset.data_root={root}/',
        f'val_evaluator.ann_file={root}/annotations/instances_val2017.json'
    ]


def _train(script, config, work_dir, data, checkpoint) -> str:
    """Run a training script; returns the text of its log."""
    out = subprocess.run(
        [sys.executable, script, config, '--work-dir',
         str(work_dir), '--cfg-options'] +
        _options(config, data, checkpoint),
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return next(work_dir.glob('*/*.log')).read_text()


def _check_run(log, work_dir, checkpoint, metrics):
    # the hook proved every backbone weight was loaded
    assert (f'CheckPretrainedWeightsHook: model.backbone holds the '
            f'pre-trained weights of {checkpoint}') in log
    assert 'Iter(train) [2/2]' in log
    for metric in metrics:
        assert metric in log, metric
    # 2 iterations at warm-up lr barely move the loaded weights
    trained = load_backbone_state_dict(str(work_dir / 'iter_2.pth'))[KEY]
    loaded = load_backbone_state_dict(checkpoint)[KEY]
    assert (trained - loaded).abs().max() < 5e-3
    assert (trained - loaded).abs().max() < 0.05 * loaded.abs().max()


@pytest.mark.parametrize('config', [CLS, SEG, DET], ids=['cls', 'seg', 'det'])
def test_backbone_holds_the_pretrained_tensor_after_init(config, pretrained):
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg.checkpoint = pretrained
    if 'data_preprocessor' in cfg:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    expected = load_backbone_state_dict(pretrained)[KEY]
    registry = importlib.import_module(f'{cfg.default_scope}.registry')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = registry.MODELS.build(cfg.model)
        assert not torch.equal(model.backbone.state_dict()[KEY], expected)
        model.init_weights()
    assert torch.equal(model.backbone.state_dict()[KEY], expected)


@pytest.mark.parametrize(
    'script', [MMPRETRAIN, OURS], ids=['mmpretrain', 'ours'])
def test_finetune_classifier(script, pretrained, data, tmp_path):
    log = _train(script, CLS, tmp_path, data, pretrained)
    _check_run(log, tmp_path, pretrained,
               ['accuracy/top1:', 'accuracy/top5:'])


@pytest.mark.parametrize('script', [MMSEG, OURS], ids=['mmseg', 'ours'])
def test_upernet_on_ade20k_format(script, pretrained, data, tmp_path):
    log = _train(script, SEG, tmp_path, data, pretrained)
    _check_run(log, tmp_path, pretrained, ['mIoU:', 'aAcc:'])


@pytest.mark.parametrize('script', [MMDET, OURS], ids=['mmdet', 'ours'])
def test_mask_rcnn_on_coco_format(script, pretrained, data, tmp_path):
    log = _train(script, DET, tmp_path, data, pretrained)
    _check_run(log, tmp_path, pretrained,
               ['coco/bbox_mAP:', 'coco/segm_mAP:'])


def test_checkpoint_of_another_architecture_fails_the_run(data, tmp_path):
    encoder = MixedAEViT(
        arch=dict(
            embed_dims=96, num_layers=4, num_heads=3,
            feedforward_channels=384),
        img_size=64,
        patch_size=8)
    wrong = str(tmp_path / 'vit-96.pth')
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in encoder.state_dict().items()}},
               wrong)
    cfg = Config.fromfile(CLS)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.merge_from_dict(
        dict(o.split('=', 1) for o in _options(CLS, data, wrong)))
    cfg.log_level = 'WARNING'
    with pytest.raises(PretrainedWeightsError) as error:
        Runner.from_cfg(cfg).train()
    message = str(error.value)
    assert f'does not hold the weights of {wrong}' in message
    assert 'patch_embed.projection.weight (96, 3, 8, 8) -> (192, 3, 8, 8)' \
        in message
