"""Shared fixtures: tiny configs and tiny data sets in real on-disk formats."""
import os
import os.path as osp
import socket
import sys

import numpy as np
import pytest
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TINY_CONFIG = osp.join(ROOT, 'configs', 'mixedae',
                       'mixedae_vit-tiny-p8_1xb16-60i_demo-64px.py')
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def free_port() -> int:
    """A free TCP port on the loopback, for torchrun's rendezvous."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_image_folder(root: str,
                       num_classes: int = 2,
                       per_class: int = 8,
                       size=(80, 72),
                       seed: int = 0) -> list:
    """Write an ImageNet-style folder ``root/<class>/<i>.png`` of smooth
    random colour images; returns the files."""
    rng = np.random.default_rng(seed)
    files = []
    h, w = size[1], size[0]
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    for c in range(num_classes):
        os.makedirs(osp.join(root, f'class_{c}'), exist_ok=True)
        for i in range(per_class):
            a = rng.uniform(-1, 1, (3, 3))
            img = np.stack([
                np.sin(6 * (a[k, 0] * xx + a[k, 1] * yy) + 3 * a[k, 2])
                for k in range(3)
            ], -1)
            img = ((img + 1) * 127.5).astype(np.uint8)
            path = osp.join(root, f'class_{c}', f'{i}.png')
            Image.fromarray(img).save(path)
            files.append(path)
    return files


def tiny_runner_cfg(work_dir: str, data_root: str, max_iters: int = 2,
                    config: str = TINY_CONFIG, **overrides):
    """The tiny demo config (or another ``config`` with its data layout)
    pointed at ``data_root`` (a folder holding ``train/<class>/*.png``),
    training ``max_iters`` iterations."""
    import mixedae_mm  # noqa: F401
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_cfg.max_iters = max_iters
    cfg.param_scheduler = [
        dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0)
    ]
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=max_iters, by_epoch=False)
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'
    # mmengine names a run's MessageHub, logger and visualizer after the
    # experiment, by default the start time to the second: two runners made
    # in the same second (fast machines) would share one message hub and
    # mix their loss histories.  A unique name keeps every runner apart.
    cfg.experiment_name = unique_experiment_name()
    cfg.merge_from_dict(overrides)
    return cfg


def unique_experiment_name() -> str:
    """A run name no other runner in this process has."""
    import uuid
    return f'test_{uuid.uuid4().hex}'


@pytest.fixture(scope='session')
def image_root(tmp_path_factory):
    """A data root with ``train/<class>/*.png``: 16 small colour images."""
    root = tmp_path_factory.mktemp('imagenet_like')
    write_image_folder(str(root / 'train'))
    return str(root)


@pytest.fixture
def tiny_model_cfg():
    """The model dict of the tiny config."""
    import mixedae_mm  # noqa: F401
    from mmengine.config import Config
    return Config.fromfile(TINY_CONFIG).model
