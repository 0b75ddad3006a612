"""Test (and evaluate) a model: OpenMMLab's ``tools/test.py`` CLI.

Used on the downstream configs (fine-tuned classifiers, segmentors,
detectors); imports :mod:`mixedae_mm` first and uses ``gloo`` for
distributed runs on machines without CUDA.
"""
import argparse
from typing import List, Optional

import mmengine
import torch
from mmengine.config import Config, ConfigDict
from mmengine.evaluator import DumpResults

import mixedae_mm  # noqa: F401
from .train import (build_runner, init_cpu_process_group,
                    parse_with_common_args, set_launcher, set_work_dir)

__all__ = ['parse_args', 'merge_args', 'main']


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse OpenMMLab's test arguments."""
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save the evaluation metrics')
    parser.add_argument('--out', help='the file to write the results to')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='write metrics or predictions to --out (default: predictions)')
    parser.add_argument(
        '--amp', action='store_true', help='test with mixed precision')
    args = parse_with_common_args(parser, argv)
    if args.out is None and args.out_item is not None:
        parser.error('--out-item needs --out to name the output file')
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command-line arguments into the config."""
    set_launcher(cfg, args.launcher)
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.setdefault('test_cfg', ConfigDict())
        cfg.test_cfg.fp16 = True
    if cfg.get('test_dataloader', None) is not None:
        cfg.test_dataloader.setdefault('pin_memory',
                                       torch.cuda.is_available())
        cfg.test_dataloader.setdefault('collate_fn',
                                       dict(type='default_collate'))
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv: Optional[List[str]] = None) -> dict:
    """Entry point of ``tools/test.py``; returns the metrics."""
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    init_cpu_process_group(cfg)
    runner = build_runner(cfg)
    if args.out and args.out_item in ('pred', None):
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)
    return metrics
