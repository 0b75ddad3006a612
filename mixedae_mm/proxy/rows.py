"""Train one proxy row with the Runner, and evaluate its frozen encoder."""
import json
import os
import os.path as osp
import re
import sys
import threading
import time
from typing import Callable, Dict, Iterable, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmpretrain.registry import DATASETS, MODELS

from ..evaluation import (extract_features, knn_top1, linear_probe_top1,
                          lowshot_knn_top1)
from .child import run_child
from .methods import ProxyMethod

__all__ = [
    'ROOT', 'proxy_config', 'train_row', 'child_env', 'ProxyData',
    'build_model', 'evaluate_row', 'read_scalars'
]

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_INIT_LOCK = threading.Lock()
_PROGRESS = re.compile(r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\]')
_ETA = re.compile(r'eta: (\S+)')


def proxy_config(config: str,
                 epochs: int,
                 seed: int,
                 data_root: str,
                 train_images: Optional[int] = None,
                 monitor_images: Optional[Sequence[int]] = None) -> Config:
    """A proxy row's config with the run's epochs, seed and data.

    The schedule (1 warm-up epoch, cosine to the end; a 1-epoch run warms
    up over the first half of its iterations) is rewritten for ``epochs``
    the same way for every row.

    Args:
        config (str): Config path (absolute or relative to the repo root).
        epochs (int): Training epochs.
        seed (int): ``randomness.seed``.
        data_root (str): Folder with the un-gzipped Fashion-MNIST files.
        train_images (int, optional): Pre-train on the first
            ``train_images`` training images only (quick runs, tests).
        monitor_images (Sequence[int], optional): Bank and query sizes of
            the kNN monitor (``KNNEvalHook``).

    Returns:
        Config: The config to dump and train.
    """
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.train_cfg.max_epochs = epochs
    if epochs == 1:
        # half the epoch of warm-up: from the full lr at iteration 0 the
        # Siamese rows collapse within ten iterations (docs/mixmask.md)
        images = train_images or 60000
        iters = max(1, images // cfg.train_dataloader.batch_size)
        warm = max(1, iters // 2) if iters > 1 else 0
        schedulers = [
            dict(
                type='LinearLR',
                start_factor=0.01,
                by_epoch=False,
                begin=0,
                end=warm)
        ] if warm else []
        schedulers.append(
            dict(
                type='CosineAnnealingLR',
                T_max=iters - warm,
                eta_min=1e-5,
                by_epoch=False,
                begin=warm,
                end=iters))
    else:
        schedulers = [
            dict(
                type='LinearLR',
                start_factor=0.01,
                by_epoch=True,
                begin=0,
                end=1,
                convert_to_iter_based=True),
            dict(
                type='CosineAnnealingLR',
                T_max=epochs - 1,
                eta_min=1e-5,
                by_epoch=True,
                begin=1,
                end=epochs,
                convert_to_iter_based=True)
        ]
    cfg.param_scheduler = schedulers
    cfg.randomness = dict(seed=seed)
    loaders = [cfg.train_dataloader]
    for hook in cfg.custom_hooks:
        if hook.type == 'KNNEvalHook':
            loaders += [hook.bank_dataloader, hook.query_dataloader]
            if monitor_images is not None:
                hook.bank_dataloader.dataset.indices = monitor_images[0]
                hook.query_dataloader.dataset.indices = monitor_images[1]
    for loader in loaders:
        loader.dataset.data_root = data_root
    if train_images is not None:
        cfg.train_dataloader.dataset.indices = train_images
        # log at least once an epoch even on a few hundred images
        iters = max(1, train_images // cfg.train_dataloader.batch_size)
        logger = cfg.default_hooks.logger
        logger.interval = min(logger.interval, iters)
    return cfg


def train_row(cfg: Config,
              work_dir: str,
              progress: Optional[Callable[[dict], None]] = None,
              threads: Optional[int] = None) -> dict:
    """Pre-train with ``tools/train.py`` in a child process.

    The config is dumped to ``work_dir/config.py`` (the exact run, to rerun
    by hand), the child's output goes to ``work_dir/train.log``, and
    ``progress`` is called with the epoch / iteration / ETA the Runner
    logs.  A run that stopped part-way (its ``last_checkpoint`` is in
    ``work_dir``) continues from its last saved epoch (``--resume``).

    Args:
        cfg (Config): From :func:`proxy_config`.
        work_dir (str): The row's work directory.
        progress (callable, optional): Gets ``dict(epoch, max_epochs, iter,
            iters_per_epoch, eta)`` at every logged iteration.
        threads (int, optional): CPU threads of the child
            (``OMP_NUM_THREADS``); its default when None.

    Returns:
        dict: ``checkpoint`` (path), ``minutes`` (wall time of this call),
        ``command``, ``resumed`` and ``peak_rss_mib`` (of the child).
    """
    os.makedirs(work_dir, exist_ok=True)
    config_path = osp.join(work_dir, 'config.py')
    cfg.dump(config_path)
    command = [
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), config_path, '--work-dir',
        work_dir
    ]
    resumed = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
    if resumed:
        command.append('--resume')
    max_epochs = cfg.train_cfg.max_epochs

    def on_line(line: str) -> None:
        match = _PROGRESS.search(line)
        if match and progress is not None:
            eta = _ETA.search(line)
            progress(
                dict(
                    epoch=int(match.group(1)),
                    max_epochs=max_epochs,
                    iter=int(match.group(2)),
                    iters_per_epoch=int(match.group(3)),
                    eta=eta.group(1) if eta else None))

    start = time.time()
    returncode, peak, tail = run_child(command,
                                       osp.join(work_dir, 'train.log'), ROOT,
                                       child_env(threads), on_line)
    if returncode:
        raise RuntimeError(
            f'pre-training failed (exit {returncode}): '
            f'{" ".join(command)}\nlast lines of {work_dir}/train.log:\n' +
            tail)
    checkpoint = osp.join(work_dir, f'epoch_{max_epochs}.pth')
    if not osp.isfile(checkpoint):
        raise RuntimeError(f'the run ended without {checkpoint}.')
    return dict(
        checkpoint=checkpoint,
        minutes=(time.time() - start) / 60,
        command=' '.join(command),
        resumed=resumed,
        peak_rss_mib=peak)


def child_env(threads: Optional[int] = None) -> Dict[str, str]:
    """Our environment, with ``threads`` CPU threads if given."""
    env = dict(os.environ)
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def read_scalars(work_dir: str) -> list:
    """The records of ``vis_data/scalars.json`` of the latest run in
    ``work_dir`` (LocalVisBackend: one JSON object per line)."""
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        return []
    path = osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class ProxyData:
    """The final evaluation's data: all training images as the kNN bank
    and the probe's training set, all test images as the queries.

    Shared by every row (the normalisation is each model's own data
    preprocessor).  Rows are evaluated in parallel threads, so every call
    iterates data loaders of its own: nothing of one evaluation is shared
    with another but the (read-only) data sets.

    Args:
        config (str): Any proxy config (its ``eval_pipeline`` is used).
        data_root (str): Folder with the un-gzipped files.
        train_images (int, optional): Use only the first ones (quick).
        test_images (int, optional): Use only the first ones (quick).
    """

    def __init__(self,
                 config: str,
                 data_root: str,
                 train_images: Optional[int] = None,
                 test_images: Optional[int] = None) -> None:
        init_default_scope('mmpretrain')
        cfg = Config.fromfile(osp.join(ROOT, config))
        self._loader_cfgs = {}
        for split, indices in (('train', train_images), ('test',
                                                         test_images)):
            loader = cfg.knn_bank_dataloader.copy()
            dataset = dict(loader.dataset)
            dataset.update(
                data_root=data_root,
                split=split,
                test_mode=split == 'test',
                indices=indices)
            loader.dataset = DATASETS.build(dataset)  # read once
            self._loader_cfgs[split] = loader

    @property
    def loaders(self) -> Dict[str, Iterable]:
        """New data loaders over the two splits (one per caller)."""
        return {
            split: Runner.build_dataloader(cfg.copy(), seed=0)
            for split, cfg in self._loader_cfgs.items()
        }

    def images(self, split: str = 'test',
               limit: Optional[int] = None) -> torch.Tensor:
        """The first ``limit`` images of ``split``, unnormalised,
        ``(M, C, H, W)``."""
        chunks, count = [], 0
        for data in self.loaders[split]:
            chunks.append(data['inputs'])
            count += len(data['inputs'])
            if limit is not None and count >= limit:
                break
        return torch.cat(chunks)[:limit]

    def pixels(self) -> Dict[str, Dict[str, torch.Tensor]]:
        """Raw-pixel features: the padded images, flattened."""
        out = {}
        for split, loader in self.loaders.items():
            feats, labels = [], []
            for data in loader:
                feats.append(data['inputs'].flatten(1).float())
                labels += [int(s.gt_label[0]) for s in data['data_samples']]
            out[split] = dict(
                pixels=torch.cat(feats), labels=torch.tensor(labels))
        return out

    def features(self, model: torch.nn.Module, names: Sequence[str]
                 ) -> Dict[str, Dict[str, torch.Tensor]]:
        """Frozen features of ``model`` on both splits."""
        return {
            split: extract_features(model, loader, names)
            for split, loader in self.loaders.items()
        }


def build_model(cfg: Config,
                checkpoint: Optional[str] = None,
                seed: int = 0) -> torch.nn.Module:
    """The row's model: initialised with ``seed``, then loaded strictly
    from ``checkpoint`` if given.

    As mmengine's Runner does, the config's top-level ``data_preprocessor``
    (the normalisation of pre-training) goes into the model unless the
    model has its own: its mean and std are not in the checkpoint, so
    without it the frozen encoder would see unnormalised pixels.
    """
    init_default_scope('mmpretrain')
    model_cfg = cfg.model.copy()
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    # rows are built in parallel threads; the seed and every draw of the
    # initialisation must not interleave with another thread's
    with _INIT_LOCK:
        torch.manual_seed(seed)
        model = MODELS.build(model_cfg)
        model.init_weights()
    if checkpoint is not None:
        load_checkpoint(
            model, checkpoint, map_location='cpu', strict=True,
            logger='silent')
    return model.eval()


def evaluate_row(method: ProxyMethod,
                 data: ProxyData,
                 model: Optional[torch.nn.Module] = None) -> list:
    """kNN (k = 20, T = 0.07), low-shot kNN (10 labelled images a class,
    mean of 5 draws) and linear-probe top-1 of every feature.

    Args:
        method (ProxyMethod): The row (its ``features``).
        data (ProxyData): The evaluation data.
        model (nn.Module, optional): The frozen model; None for the raw
            pixels.

    Returns:
        list[dict]: One ``dict(feature, knn_top1, lowshot_knn_top1,
        linear_top1)`` per feature, accuracies in ``[0, 1]``.
    """
    feats = data.pixels() if model is None else data.features(
        model, method.features)
    train, test = feats['train'], feats['test']
    results = []
    for name in method.features:
        results.append(
            dict(
                feature=name,
                knn_top1=knn_top1(train[name], train['labels'], test[name],
                                  test['labels']),
                lowshot_knn_top1=lowshot_knn_top1(train[name],
                                                  train['labels'], test[name],
                                                  test['labels']),
                linear_top1=linear_probe_top1(train[name], train['labels'],
                                              test[name], test['labels'])))
    return results
