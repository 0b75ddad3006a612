"""Train with mmengine's Runner: OpenMMLab's ``tools/train.py`` CLI.

The same arguments as MMPretrain's ``tools/train.py`` (``--work-dir``,
``--resume``, ``--amp``, ``--auto-scale-lr``, ``--cfg-options``,
``--launcher``); it imports :mod:`mixedae_mm` first, and on a machine
without CUDA it switches distributed training to the ``gloo`` backend so
``tools/dist_train.sh CONFIG 2`` runs on CPUs.
"""
import argparse
import os
import os.path as osp
from copy import deepcopy
from typing import List, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mixedae_mm  # noqa: F401  (registers the classes, checkpoint loader)

__all__ = [
    'parse_args', 'parse_with_common_args', 'set_work_dir', 'set_launcher',
    'merge_args', 'init_cpu_process_group', 'finish_process_group',
    'build_runner', 'main'
]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse OpenMMLab's training arguments."""
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or without a path from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size over '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in the dataloaders')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers in the dataloaders')
    return parse_with_common_args(parser, argv)


def parse_with_common_args(parser: argparse.ArgumentParser,
                           argv: Optional[List[str]]) -> argparse.Namespace:
    """Add ``--cfg-options``, ``--launcher`` and ``--local-rank``, parse,
    and export ``LOCAL_RANK`` as torch's launchers expect."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs, e.g. '
        'train_dataloader.batch_size=64 or key="[a,b]"')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def set_work_dir(cfg: Config, work_dir: Optional[str], config: str) -> None:
    """Work directory: the CLI's, else the config's, else
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])


def set_launcher(cfg: Config, launcher: str) -> None:
    """Set the launcher; without CUDA, distributed runs use ``gloo`` and
    DistributedDataParallel gets no ``device_ids`` (CPU modules)."""
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', ConfigDict())
    cfg.env_cfg.setdefault('dist_cfg', ConfigDict())
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    cfg.setdefault(
        'model_wrapper_cfg',
        ConfigDict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False)))
    cfg.model_wrapper_cfg.setdefault('device_ids', None)


def init_cpu_process_group(cfg: Config) -> None:
    """Create the gloo process group of a torchrun job without CUDA.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` even for
    gloo; a process group created beforehand (from torchrun's environment
    variables) is used by the Runner as it is.
    """
    if (cfg.launcher == 'pytorch' and not torch.cuda.is_available()
            and not dist.is_initialized()):
        dist.init_process_group(backend='gloo')


def finish_process_group() -> None:
    """End a distributed run cleanly: wait for every rank, then destroy the
    process group.

    A rank that exits while another still uses the group (rank 0 saving the
    last checkpoint, say) closes its gloo sockets under the other's feet:
    gloo's background thread then sees "connection closed by peer" and may
    abort the process (SIGABRT) after a successful run.  A barrier first
    makes every rank reach the end before any socket closes, and
    ``destroy_process_group`` closes them in order instead of leaving it to
    the interpreter's exit.  Does nothing without a process group.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command-line arguments into the config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    set_launcher(cfg, args.launcher)

    set_work_dir(cfg, args.work_dir, args.config)

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    default_dataloader_cfg = ConfigDict(
        pin_memory=torch.cuda.is_available(), persistent_workers=True)
    if cfg.get('default_scope', 'mmpretrain') == 'mmpretrain':
        # MMPretrain's default; MMSeg / MMDet configs keep the Runner's
        # pseudo_collate, as with their own train.py
        default_dataloader_cfg.collate_fn = dict(type='default_collate')

    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(field, None) is None:
            continue
        dataloader_cfg = deepcopy(default_dataloader_cfg)
        dataloader_cfg.update(cfg[field])
        if args.no_pin_memory:
            dataloader_cfg.pin_memory = False
        if args.no_persistent_workers or dataloader_cfg.get(
                'num_workers', 0) == 0:
            dataloader_cfg.persistent_workers = False
        cfg[field] = dataloader_cfg

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Build the Runner (or the config's ``runner_type``)."""
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def main(argv: Optional[List[str]] = None) -> Runner:
    """Entry point of ``tools/train.py``; returns the trained Runner."""
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    init_cpu_process_group(cfg)
    runner = build_runner(cfg)
    runner.train()
    finish_process_group()
    return runner
