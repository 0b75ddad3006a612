"""Fine-tune a proxy encoder end to end on a few labels (the paper's
protocol), in a child process."""
import os
import os.path as osp
import sys
import time
from typing import Dict, Optional

import torch
from mmengine.config import Config

from .child import run_child
from .rows import ROOT, build_model, child_env, read_scalars

__all__ = [
    'FINETUNE_CONFIGS', 'finetune_config', 'finetune_row',
    'save_initial_checkpoint'
]

_DIR = 'configs/mixedae/proxy/'
#: labelled images -> fine-tuning config (ClassBalancedSubset of the
#: training set, the shared recipe of ``_base_/finetune_recipe.py``)
FINETUNE_CONFIGS: Dict[int, str] = {
    600: _DIR + 'vit-proxy-p4_ft-1xb64-coslr-50e_fashion-mnist-1pct-32px.py',
    6000: _DIR + 'vit-proxy-p4_ft-1xb64-coslr-8e_fashion-mnist-10pct-32px.py',
}


def finetune_config(config: str,
                    pretrain_cfg: Config,
                    checkpoint: str,
                    seed: int,
                    data_root: str,
                    per_class: Optional[int] = None,
                    epochs: Optional[int] = None,
                    test_images: Optional[int] = None) -> Config:
    """The fine-tuning config of one encoder.

    Args:
        config (str): A fine-tuning config (:data:`FINETUNE_CONFIGS`).
        pretrain_cfg (Config): The encoder's pre-training config; its
            encoder must be the fine-tuning config's ViT.
        checkpoint (str): The pre-training checkpoint (``backbone.*``).
        seed (int): ``randomness.seed`` of the fine-tuning run.
        data_root (str): Folder with the un-gzipped Fashion-MNIST files.
        per_class (int, optional): Labelled images a class (quick runs);
            the config's when None.
        epochs (int, optional): Epochs (quick runs); the schedule keeps its
            shape (warm-up a tenth, at least one epoch if possible).
        test_images (int, optional): Evaluate on the first N test images
            only (quick runs).

    Returns:
        Config: The config to dump and train.
    """
    cfg = Config.fromfile(osp.join(ROOT, config))
    encoder, source = cfg.model.backbone, pretrain_cfg.model.backbone

    def arch(value):  # the config-merge marker is not part of the arch
        return {k: v for k, v in value.items() if k != '_delete_'} \
            if isinstance(value, dict) else value

    encoder.arch = arch(encoder.arch)
    source_channels = source.get('in_channels',
                                 source.get('patch_cfg', {}).get(
                                     'in_channels', 3))
    mismatch = {
        key: (encoder[key], value)
        for key, value in (('arch', arch(source.arch)),
                           ('img_size', source.img_size),
                           ('patch_size', source.patch_size),
                           ('in_channels', source_channels))
        if encoder[key] != value
    }
    if mismatch:
        raise ValueError(
            f'{config} fine-tunes another encoder than the pre-training '
            f'config builds: (fine-tuning, pre-training) = {mismatch}; make '
            'the fine-tuning config use the same configs/mixedae/proxy/'
            '_base_/vit-proxy-p4.py sizes.')
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    cfg.randomness = dict(seed=seed)
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader = cfg.val_dataloader
    if per_class is not None:
        cfg.train_dataloader.dataset.per_class = per_class
    if test_images is not None:
        cfg.val_dataloader.dataset.indices = test_images
    if epochs is not None:
        warmup = min(max(1, epochs // 10), epochs - 1)
        cfg.train_cfg.max_epochs = epochs
        cfg.train_cfg.val_interval = epochs
        linear, cosine = cfg.param_scheduler
        linear.end = cosine.begin = warmup
        cosine.end = epochs
        cosine.T_max = epochs - warmup
        cfg.param_scheduler = [linear, cosine] if warmup else [cosine]
    return cfg


def finetune_row(cfg: Config, work_dir: str,
                 threads: Optional[int] = None) -> dict:
    """Fine-tune with ``tools/train.py`` in a child process and read the
    test top-1 it logged after the last epoch.

    Args:
        cfg (Config): From :func:`finetune_config`.
        work_dir (str): Its work directory (``config.py``, ``train.log``).
        threads (int, optional): CPU threads of the child.

    Returns:
        dict: ``top1`` in ``[0, 1]``, ``minutes``, ``peak_rss_mib``.
    """
    os.makedirs(work_dir, exist_ok=True)
    config_path = osp.join(work_dir, 'config.py')
    cfg.dump(config_path)
    command = [
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), config_path, '--work-dir',
        work_dir
    ]
    start = time.time()
    returncode, peak, tail = run_child(command,
                                       osp.join(work_dir, 'train.log'), ROOT,
                                       child_env(threads))
    if returncode:
        raise RuntimeError(
            f'fine-tuning failed (exit {returncode}): {" ".join(command)}\n'
            f'last lines of {work_dir}/train.log:\n{tail}')
    top1 = [r['accuracy/top1'] for r in read_scalars(work_dir)
            if 'accuracy/top1' in r]
    if not top1:
        raise RuntimeError(
            f'fine-tuning ended without a test accuracy in {work_dir} '
            '(vis_data/scalars.json has no accuracy/top1).')
    return dict(
        top1=top1[-1] / 100,  # MMPretrain's Accuracy logs percentages
        minutes=(time.time() - start) / 60,
        peak_rss_mib=peak)


def save_initial_checkpoint(cfg: Config, seed: int, path: str) -> str:
    """Save the model of ``cfg`` as initialised with ``seed`` (the
    random-init floor's "pre-training" checkpoint).

    With paired initialisation every row of the proxy starts from these
    encoder weights for the same seed.
    """
    model = build_model(cfg, None, seed)
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    torch.save(dict(meta=dict(seed=seed), state_dict=model.state_dict()),
               path)
    return path
