"""KNNEvalHook: the kNN monitor logs every epoch and changes no draw of the
training run."""
import json
import os.path as osp

import pytest
import torch
from conftest import unique_experiment_name
from mmengine.runner import Runner

from mixedae_mm.datasets import prepare_fashion_mnist
from mixedae_mm.proxy import METHODS, proxy_config


@pytest.fixture(scope='module')
def fmnist(tmp_path_factory):
    return prepare_fashion_mnist(
        str(tmp_path_factory.mktemp('fmnist')), log=lambda m: None)


def _train(work_dir, data_root, with_hook):
    cfg = proxy_config(METHODS['mixedae'].config, 2, 0, data_root,
                       train_images=128, monitor_images=(200, 100))
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.batch_size = 64
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'
    cfg.experiment_name = unique_experiment_name()  # a message hub of its own
    if not with_hook:
        cfg.custom_hooks = [
            h for h in cfg.custom_hooks if h.type != 'KNNEvalHook'
        ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    return runner, losses


@pytest.mark.slow
def test_knn_monitor_logs_every_epoch_and_leaves_training_unchanged(
        tmp_path, fmnist):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # bit-exact comparison
    try:
        with_hook, losses = _train(tmp_path / 'with', fmnist, True)
        _, plain_losses = _train(tmp_path / 'without', fmnist, False)
    finally:
        torch.set_num_threads(threads)
    # same mixing masks, data order and weights: the monitor restored the
    # generators it used
    assert losses.tolist() == plain_losses.tolist()
    scalars = osp.join(with_hook.log_dir, 'vis_data', 'scalars.json')
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    knn = [r for r in records if 'knn/cls_top1' in r]
    assert [r['epoch'] for r in knn] == [0, 1, 2]
    for record in knn:
        assert 0 <= record['knn/cls_top1'] <= 1
        assert 0 <= record['knn/mean_top1'] <= 1
