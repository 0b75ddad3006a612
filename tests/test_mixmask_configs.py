"""configs/mixmask/: every config builds on MMPretrain's recipes, the
CIFAR-100 / Tiny-ImageNet pipelines make two views, and each tiny config
trains on the CPU with finite, falling loss (also with tools/train.py and
tools/dist_train.sh ... 2)."""
import glob
import math
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import CheckpointLoader
from mmpretrain.registry import MODELS
from PIL import Image

from conftest import ROOT, free_port, tiny_runner_cfg, write_image_folder

CONFIG_DIR = osp.join(ROOT, 'configs', 'mixmask')
CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, 'mixmask-*.py')))
FULL = [c for c in CONFIGS if '-tiny_' not in c]
TINY = {
    name: osp.join(CONFIG_DIR,
                   f'mixmask-{name}_resnet18-tiny_1xb16-20i_demo-32px.py')
    for name in ('mocov2', 'byol', 'simsiam', 'barlowtwins')
}
GRIDS = {  # config -> (grid, mode); the paper's grids (Sec. 4.1)
    'mixmask-mocov2_resnet50_8xb32-coslr-200e_in1k.py': (8, 'block'),
    'mixmask-byol_resnet50_16xb256-coslr-200e_in1k.py': (8, 'block'),
    'mixmask-simsiam_resnet50_8xb32-coslr-200e_in1k.py': (8, 'block'),
    'mixmask-barlowtwins_resnet50_8xb256-coslr-300e_in1k.py': (8, 'block'),
    'mixmask-mocov2_resnet18_1xb256-coslr-1000e_cifar100.py': (2, 'discrete'),
    'mixmask-mocov2_resnet18_1xb256-coslr-1000e_tiny-imagenet.py':
    (4, 'block'),
}


def test_the_config_table_is_complete():
    assert sorted(GRIDS) == sorted(osp.basename(c) for c in FULL)
    assert sorted(TINY.values()) == sorted(set(CONFIGS) - set(FULL))


@pytest.mark.parametrize('path', FULL, ids=osp.basename)
def test_full_configs_keep_mmpretrains_recipe_and_the_papers_grid(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['mixedae_mm']
    assert cfg.model.type.startswith('MixMask')
    grid, mode = GRIDS[osp.basename(path)]
    assert cfg.model.mask_cfg == dict(grid_size=grid, mask_ratio=0.5,
                                      mode=mode)
    assert cfg.model.mix_weight == 1.0
    assert cfg.train_dataloader.batch_size % 2 == 0
    assert cfg.train_dataloader.drop_last  # no odd last batch
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert {'CheckpointCheckHook', 'NonFiniteLossHook',
            'RNGStateHook'} <= set(hooks)
    if 'mocov2_resnet50' in path:  # the official recipe = MMPretrain's
        assert cfg.model.queue_len == 65536 and cfg.model.feat_dim == 128
        assert cfg.model.momentum == 0.001
        assert cfg.model.head.temperature == 0.2
        assert cfg.optim_wrapper.optimizer == dict(
            type='SGD', lr=0.03, weight_decay=1e-4, momentum=0.9)
        assert cfg.train_cfg.max_epochs == 200
        assert cfg.train_dataloader.batch_size * 8 == 256
    if 'simsiam' in path:
        assert hooks[0] == 'SimSiamHook'
    if 'resnet18' in path:
        assert cfg.model.backbone.type == 'ResNet_CIFAR'
        assert cfg.model.backbone.depth == 18
        assert cfg.model.neck.in_channels == 512
        assert cfg.train_cfg.max_epochs == 1000
        assert cfg.train_dataloader.batch_size == 256


@pytest.mark.slow
@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_every_config_builds_its_model(path):
    cfg = Config.fromfile(path)
    init_default_scope('mmpretrain')
    model_cfg = cfg.model.to_dict()
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    assert type(model).__name__ == cfg.model.type
    assert model.mask_generator.grid_size == cfg.model.mask_cfg.grid_size


@pytest.mark.parametrize('dataset,size', [('cifar100', 32),
                                          ('tiny-imagenet', 64)])
def test_small_data_pipelines_make_two_views(dataset, size, tmp_path):
    path = osp.join(
        CONFIG_DIR, f'mixmask-mocov2_resnet18_1xb256-coslr-1000e_{dataset}.py')
    cfg = Config.fromfile(path)
    init_default_scope('mmpretrain')
    pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    rng = np.random.default_rng(0)
    if dataset == 'cifar100':  # MMPretrain's CIFAR100 yields RGB arrays
        assert cfg.train_dataloader.dataset.download is False
        results = dict(img=rng.integers(0, 255, (32, 32, 3), np.uint8))
    else:
        img = tmp_path / 'a.png'
        Image.fromarray(rng.integers(0, 255, (80, 72, 3),
                                     np.uint8)).save(img)
        results = dict(img_path=str(img))
    out = pipeline(results)
    assert len(out['inputs']) == 2
    for view in out['inputs']:
        assert tuple(view.shape) == (3, size, size)


def run_tiny(name: str, work_dir: str, data_root: str, iters: int):
    from mmengine.runner import Runner
    cfg = tiny_runner_cfg(work_dir, data_root, max_iters=iters,
                          config=TINY[name])
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    return {
        key: hub.get_scalar(f'train/{key}').data[0]
        for key in ('loss', 'loss_orig', 'loss_mix', 'lam')
    }


@pytest.fixture(scope='module')
def images_128(tmp_path_factory):
    """A data root with ``train/<class>/*.png``: 128 small colour images, so
    that MoCo's 64-key queue holds other images than the current batch."""
    root = tmp_path_factory.mktemp('images_128')
    write_image_folder(str(root / 'train'), num_classes=8, per_class=16)
    return str(root)


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(TINY))
def test_each_tiny_config_trains_with_finite_falling_loss(
        name, tmp_path, images_128):
    """128 images, 30 iterations of the tiny config (augmented views, one
    new mask per step): every loss finite, the total falling. MoCo's loss
    first rises while its random initial queue is replaced by real keys
    (64 keys = 4 steps), so it is judged from the step the queue is full."""
    logs = run_tiny(name, str(tmp_path / 'work'), images_128, 30)
    loss = np.asarray(logs['loss'])
    assert len(loss) == 30 and np.isfinite(loss).all()
    for key in ('loss_orig', 'loss_mix'):
        assert np.isfinite(logs[key]).all()
    np.testing.assert_allclose(loss, logs['loss_orig'] + logs['loss_mix'],
                               rtol=1e-5, atol=1e-6)
    lam = np.asarray(logs['lam'])
    assert ((lam > 0) & (lam < 1)).all()
    start = 64 // 16 if name == 'mocov2' else 0
    assert loss[-5:].mean() < loss[start:start + 5].mean(), loss
    assert (tmp_path / 'work' / 'iter_30.pth').is_file()


def tiny_cli_options(data_root: str, iters: int = 2) -> list:
    return [
        '--cfg-options',
        f'train_dataloader.dataset.dataset.data_root={data_root}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'train_cfg.max_iters={iters}',
        f'default_hooks.checkpoint.interval={iters}',
        'default_hooks.logger.interval=1'
    ]


@pytest.mark.slow
def test_tools_train_and_dist_train_run_a_mixmask_config(tmp_path,
                                                         image_root):
    """tools/train.py, and tools/dist_train.sh with 2 CPU processes (gloo):
    the MoCo queue takes both processes' keys (2 x 16 per step)."""
    config = TINY['mocov2']
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()),
               OMP_NUM_THREADS='1')
    one = tmp_path / 'one'
    out = subprocess.run(
        [sys.executable, 'tools/train.py', config, '--work-dir',
         str(one)] + tiny_cli_options(image_root, 3),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    two = tmp_path / 'two'
    out = subprocess.run(
        ['bash', 'tools/dist_train.sh', config, '2', '--work-dir',
         str(two)] + tiny_cli_options(image_root, 3),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    for work, world in ((one, 1), (two, 2)):
        text = next(work.glob('*/*.log')).read_text()
        assert f'GPU number: {world}' in text
        assert 'Iter(train) [3/3]' in text
        for key in ('loss_orig:', 'loss_mix:', 'lam:'):
            assert key in text, key
        ckpt = CheckpointLoader.load_checkpoint(
            str(work / 'iter_3.pth'), map_location='cpu')
        # 3 steps of 16 images per process: 3 * 16 * world keys enqueued
        assert int(ckpt['state_dict']['queue_ptr']) == (3 * 16 * world) % 64
        losses = [float(v) for v in
                  [line.split('loss: ')[1].split()[0]
                   for line in text.splitlines() if ' loss: ' in line]]
        assert losses and all(math.isfinite(v) for v in losses)


def test_linear_probe_is_mmpretrains_mocov2_probe():
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, 'benchmarks',
                 'resnet50_8xb32-linear-steplr-100e_in1k.py'))
    assert cfg.model.backbone.frozen_stages == 4
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    assert cfg.optim_wrapper.optimizer.lr == 30.
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.
    assert cfg.train_cfg.max_epochs == 100
