"""The TensorBoard switch: mmengine's TensorboardVisBackend, off by default,
on with ``--cfg-options visualizer.vis_backends.1.enable=True`` in the
pre-training and transfer configs."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner
# tensorboard is a runtime requirement: missing, this fails, never skips
from tensorboard.backend.event_processing import event_accumulator

from conftest import ROOT, tiny_runner_cfg
from mixedae_mm.engine import OptionalTensorboardVisBackend

SWITCH = {'visualizer.vis_backends.1.enable': True}
CONFIGS = [
    'mixedae/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py',
    'mixedae/mixedae_vit-tiny-p8_1xb16-60i_demo-64px.py',
    'mixedae/benchmarks/vit-base-p16_8xb128-coslr-100e_in1k.py',
    'mixedae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py',
    'mixedae/benchmarks/vit-tiny-p8_1xb8-2i_demo-64px.py',
    'mixedae/benchmarks/mmseg/'
    'upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py',
    'mixedae/benchmarks/mmseg/upernet_vit-tiny-p8_1xb2-2i_ade20k-64px.py',
    'mixedae/benchmarks/mmdet/'
    'mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py',
    'mixedae/benchmarks/mmdet/mask-rcnn_vit-tiny-p8_simple-fpn_1xb2-2i_coco'
    '-128px.py',
]


def _scalars(folder):
    """{tag: [(step, value)]} of the event file(s) under ``folder``."""
    files = glob.glob(osp.join(folder, '**', 'events.out.tfevents.*'),
                      recursive=True)
    assert len(files) == 1, files
    acc = event_accumulator.EventAccumulator(files[0])
    acc.Reload()
    return {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)]
        for tag in acc.Tags()['scalars']
    }


@pytest.mark.parametrize('name', CONFIGS)
def test_every_config_has_the_switch(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    backends = cfg.visualizer.vis_backends
    assert [b['type'] for b in backends] == [
        'LocalVisBackend', 'OptionalTensorboardVisBackend'
    ]
    assert backends[1].enable is False
    cfg.merge_from_dict(SWITCH)
    assert cfg.visualizer.vis_backends[1].enable is True


def test_switched_off_it_writes_nothing(tmp_path):
    backend = OptionalTensorboardVisBackend(str(tmp_path / 'tb'))
    backend.add_scalars({'loss': 1.0}, step=1)
    backend.add_config(Config(dict(a=1)))
    backend.close()
    assert backend.experiment is None
    assert not (tmp_path / 'tb').exists()


def test_switched_on_it_is_mmengines_backend(tmp_path):
    backend = OptionalTensorboardVisBackend(str(tmp_path / 'tb'), enable=True)
    backend.add_scalars({'loss': 2.5, 'lr': 0.1}, step=3)
    backend.add_scalar('loss', 1.5, step=4)
    backend.close()
    scalars = _scalars(str(tmp_path / 'tb'))
    assert scalars['loss'] == [(3, 2.5), (4, 1.5)]
    assert scalars['lr'] == [(3, pytest.approx(0.1))]


@pytest.mark.slow
def test_training_logs_its_losses_to_tensorboard(tmp_path, image_root):
    cfg = tiny_runner_cfg(str(tmp_path / 'work'), image_root, max_iters=2)
    cfg.merge_from_dict(SWITCH)
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = _scalars(runner.log_dir)
    for tag in ('loss', 'loss_rec', 'loss_hc', 'homo_acc', 'lr'):
        assert [step for step, _ in scalars[tag]] == [1, 2], tag
    # the same numbers as mmengine's own JSON log
    json_log = glob.glob(osp.join(runner.log_dir, 'vis_data', '*.json'))
    assert json_log
    with open(json_log[0]) as f:
        logged = [json.loads(line) for line in f]
    assert [round(r['loss'], 4) for r in logged] == [
        round(v, 4) for _, v in scalars['loss']
    ]
