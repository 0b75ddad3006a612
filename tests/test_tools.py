"""The command-line tools: argument handling, the demo, dist_train.sh."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config
from PIL import Image

from conftest import ROOT, TINY_CONFIG, free_port
from mixedae_mm.tools import train


def test_train_args_are_merged_into_the_config():
    args = train.parse_args([
        TINY_CONFIG, '--work-dir', '/tmp/x', '--amp', '--resume',
        '--cfg-options', 'train_dataloader.batch_size=8',
        'model.backbone.topk=5', '--launcher', 'pytorch'
    ])
    cfg = train.merge_args(Config.fromfile(TINY_CONFIG), args)
    assert cfg.work_dir == '/tmp/x'
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.model.backbone.topk == 5
    assert cfg.launcher == 'pytorch'
    if not __import__('torch').cuda.is_available():
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'


def test_resume_from_a_given_checkpoint():
    args = train.parse_args([TINY_CONFIG, '--resume', 'a/iter_4.pth'])
    cfg = train.merge_args(Config.fromfile(TINY_CONFIG), args)
    assert cfg.resume is True and cfg.load_from == 'a/iter_4.pth'
    assert cfg.work_dir == osp.join(
        './work_dirs', osp.splitext(osp.basename(TINY_CONFIG))[0])


@pytest.mark.slow
def test_demo_trains_and_draws_the_picture(tmp_path):
    work = tmp_path / 'work'
    out = subprocess.run(
        [sys.executable, 'tools/demo.py', '--work-dir', str(work),
         '--data-root', str(tmp_path / 'data'), '--cfg-options',
         'train_cfg.max_iters=4', 'default_hooks.checkpoint.interval=4',
         'default_hooks.logger.interval=2', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False'],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert (work / 'iter_4.pth').is_file()
    figure = work / 'reconstruction.png'
    assert figure.is_file()
    with Image.open(figure) as img:
        assert img.size[0] > 600 and img.size[1] > 600
    logs = list(work.glob('*/*.log'))
    text = logs[0].read_text()
    for key in ('loss_rec:', 'loss_hc:', 'homo_acc:', 'Iter(train) [4/4]'):
        assert key in text, key
    # the demo switches mmengine's TensorBoard backend on
    assert len(list(work.glob('*/vis_data/events.out.tfevents.*'))) == 1
    assert f'figure     {figure}' in out.stdout
    # exported photographs in an ImageNet-style folder
    assert len(list((tmp_path / 'data' / 'train').glob('*/*.png'))) >= 4


@pytest.mark.slow
def test_dist_train_launches_two_processes(tmp_path, image_root):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()),
               OMP_NUM_THREADS='1')
    work = tmp_path / 'work'
    out = subprocess.run(
        ['bash', 'tools/dist_train.sh', TINY_CONFIG, '2', '--work-dir',
         str(work), '--cfg-options',
         f'train_dataloader.dataset.dataset.data_root={image_root}',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False', 'train_cfg.max_iters=2',
         'default_hooks.checkpoint.interval=2',
         'default_hooks.logger.interval=1'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = next(work.glob('*/*.log')).read_text()
    assert 'Distributed launcher: pytorch' in text
    assert 'Distributed training: True' in text
    assert 'GPU number: 2' in text  # mmengine's name for the world size
    assert "type='MMDistributedDataParallel'" in text
    assert 'Iter(train) [2/2]' in text
    assert (work / 'iter_2.pth').is_file()
