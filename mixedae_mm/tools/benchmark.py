"""Time MixedAE against MMPretrain's MAE: ``python tools/benchmark.py``;
with ``--pair mixmask``, MixMask-MoCo v2 against MMPretrain's MoCo v2.

Both models are built from config dicts through MMPretrain's ``MODELS``
registry with the same ViT, image size, patch size, batch, MAE's decoder,
mask ratio ``1 - r`` and AdamW.  After a warm-up, full training steps
(forward, backward, optimizer step; the batch is already on the device) are
timed interleaved A/B/A/B in one process.  It prints each model's median
step time, images/s and peak memory, with ``--breakdown`` the parts that
make the difference, the throughput of the real data pipeline on the demo
images, and last ``mixedae/mae step-time ratio: X.XXX``; a JSON file keeps
everything, with the versions and the machine.

``--pair mixmask`` builds MMPretrain's MoCo v2 (its own
``mocov2_resnet50_8xb32-coslr-200e_in1k.py``) and our MixMask-MoCo v2 config
on it with the same ResNet (``--depth``, ``--width``), image size, batch
(two views) and MoCo v2's SGD, times their full steps the same way and
prints last ``mixmask-mocov2/mocov2 step-time ratio: X.XXX``; its
``--breakdown`` times the mixing, an online forward + backward and a
momentum-encoder forward.
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import mixedae_mm
from mixedae_mm.benchmark import (ARCHS, build_adamw, build_model,
                                  build_optimizer, check_mixmask_batch,
                                  component_breakdown, cpu_autocast,
                                  explained_overhead_ms, loader_throughput,
                                  mixmask_breakdown, mixmask_model_configs,
                                  model_configs, mocov2_optim_wrapper,
                                  peak_memory, predicted_step_time_ratio,
                                  time_interleaved, train_step)
from mixedae_mm.models.utils import check_mixable, num_sources_from_ratio

__all__ = ['PAIRS', 'parse_args', 'main']

#: ``--pair``: what is timed against what
PAIRS = ('mixedae', 'mixmask')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the benchmark's arguments."""
    parser = argparse.ArgumentParser(
        description='Time MixedAE against MMPretrain MAE training steps, '
        'or MixMask-MoCo v2 against MoCo v2 (--pair mixmask)')
    parser.add_argument('--pair', choices=PAIRS, default='mixedae',
                        help='mixedae: MixedAE vs MAE (ViTs); mixmask: '
                        'MixMask-MoCo v2 vs MoCo v2 (ResNets)')
    parser.add_argument('--arch', choices=list(ARCHS), default='small',
                        help='--pair mixedae: tiny: the demo config; small: '
                        'ViT-S/16 (deit-s); base: ViT-B/16; large: ViT-L/16')
    parser.add_argument('--depth', type=int, default=50,
                        help='--pair mixmask: ResNet depth')
    parser.add_argument('--width', type=int,
                        help='--pair mixmask: ResNet stem and first-stage '
                        'channels (default: 64)')
    parser.add_argument('--grid-size', type=int,
                        help='--pair mixmask: mask grid (default: the '
                        'config\'s)')
    parser.add_argument('--batch', type=int, default=16,
                        help='images per step; MixedAE: a multiple of 1/r '
                        '= 4; MixMask: even')
    parser.add_argument('--img-size', type=int,
                        help='image size (default: 64 for tiny, else 224)')
    parser.add_argument('--iters', type=int, default=10,
                        help='timed steps of each model')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed steps of each model first')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 with dynamic loss '
                        'scaling on CUDA, bf16 autocast on CPU')
    parser.add_argument('--device',
                        help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--threads', type=int,
                        help='CPU threads (default: torch\'s choice)')
    parser.add_argument('--breakdown', action='store_true',
                        help='also time the parts in which the steps differ')
    parser.add_argument('--data-root', default='data/demo',
                        help='demo images for the data-loading test '
                        '(exported there when missing)')
    parser.add_argument('--loader-batches', type=int, default=10,
                        help='batches timed from the data loader (0: skip; '
                        '--pair mixedae only)')
    parser.add_argument('--workers', type=int,
                        help='loader workers (default: the demo config\'s)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out',
                        help='JSON file (default: work_dirs/benchmark/'
                        'benchmark_<arch>_<device>.json)')
    args = parser.parse_args(argv)
    for name in ('batch', 'iters'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be at least 1')
    return args


def _versions() -> Dict[str, str]:
    import mmcv
    import mmdet
    import mmengine
    import mmpretrain
    import mmseg
    import torchvision
    return {
        module.__name__: module.__version__
        for module in (torch, torchvision, mmengine, mmcv, mmpretrain, mmseg,
                       mmdet, mixedae_mm)
    }


def _cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo`` on Linux), else the architecture."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _machine(device: torch.device) -> Dict[str, object]:
    machine = dict(
        platform=platform.platform(),
        processor=_cpu_name(),
        python=platform.python_version(),
        cpu_count=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        device=str(device))
    if device.type == 'cuda':
        machine['gpu'] = torch.cuda.get_device_name(device)
    else:
        machine['cpu_capability'] = torch.backends.cpu.get_cpu_capability()
    return machine


def _print_table(rows: Sequence[Sequence[object]]) -> None:
    widths = [max(len(str(row[i])) for row in rows)
              for i in range(len(rows[0]))]
    for row in rows:
        print('  '.join(
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))))


def _check_device(name: Optional[str]) -> torch.device:
    device = torch.device(
        name or ('cuda' if torch.cuda.is_available() else 'cpu'))
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError(f'--device {name}: CUDA is not available here; '
                         'use --device cpu.')
    return device


def _step_results(times: Dict[str, dict], peaks: Dict[str, tuple],
                  batch: int) -> Dict[str, dict]:
    results = {}
    for name, peak in peaks.items():
        median = statistics.median(times[name]['wall'])
        results[name] = dict(
            step_times_s=times[name]['wall'],
            step_cpu_times_s=times[name]['cpu'],
            median_step_s=median,
            median_step_cpu_s=statistics.median(times[name]['cpu']),
            images_per_s=batch / median,
            peak_memory_bytes=peak[0],
            memory_source=peak[1])
    return results


def _print_steps(report: dict, names: Sequence[str] = ('mixedae', 'mae')
                 ) -> None:
    results = report['results']
    pair = '/'.join(names)
    _print_table(
        [('model', 'median step (s)', 'CPU time (s)', 'images/s',
          'peak MiB')] + [(name, f'{res["median_step_s"]:.3f}',
                           f'{res["median_step_cpu_s"]:.3f}',
                           f'{res["images_per_s"]:.2f}',
                           f'{res["peak_memory_bytes"] / 2**20:.0f}')
                          for name, res in results.items()])
    print(f'{pair} CPU-time ratio: '
          f'{report["step_cpu_time_ratio"]:.3f} (this process\' CPU time '
          'per step, all threads)')
    print(f'memory: {results[names[1]]["memory_source"]}')
    print(f'{pair} peak-memory ratio: '
          f'{report["peak_memory_ratio"]:.3f}')


def _print_breakdown(report: dict) -> None:
    _print_table([('part', 'median ms', 'per step', 'what')] +
                 [(name, f'{part["median_ms"]:.2f}', part['per_step'],
                   part['what'])
                  for name, part in report['breakdown'].items()])
    print('MixedAE extra ms per step: ' + ', '.join(
        f'{k} {v:+.1f}' for k, v in report['explained_overhead_ms'].items()) +
          f' (measured: {report["measured_overhead_ms"]:+.1f})')


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the benchmark; returns what it writes to the JSON file."""
    args = parse_args(argv)
    device = _check_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mmpretrain')
    # init_weights logs every parameter at INFO to the current logger
    MMLogger.get_instance('mixedae_benchmark', log_level='WARNING')
    torch.manual_seed(args.seed)
    if args.pair == 'mixmask':
        return _main_mixmask(args, device)
    cfgs = dict(zip(('mixedae', 'mae'),
                    model_configs(args.arch, args.img_size)))
    img_size = cfgs['mae'].backbone.img_size
    check_mixable(args.batch, cfgs['mixedae'].neck.num_patches,
                  num_sources_from_ratio(
                      cfgs['mixedae'].backbone.mixing_ratio))
    models = {name: build_model(cfg, device) for name, cfg in cfgs.items()}
    wrappers = {
        name: build_adamw(model, args.amp, device)
        for name, model in models.items()
    }
    inputs = torch.randn(args.batch, 3, img_size, img_size, device=device)
    steps = {
        name: train_step(model, wrappers[name], inputs, args.amp)
        for name, model in models.items()
    }
    print(f'[benchmark] --arch {args.arch}: {img_size} px, batch '
          f'{args.batch}, {args.iters} steps of each model (interleaved) '
          f'after {args.warmup} warm-up, device {device}, '
          f'{torch.get_num_threads()} threads, amp {args.amp}')
    times = time_interleaved(steps, args.iters, args.warmup, device)
    peaks = {
        name: peak_memory(steps[name], models[name], wrappers[name], inputs)
        for name in models
    }
    results = _step_results(times, peaks, args.batch)
    mixedae, mae = results['mixedae'], results['mae']
    report = dict(
        args=vars(args),
        img_size=img_size,
        versions=_versions(),
        machine=_machine(device),
        models={name: cfg.to_dict() for name, cfg in cfgs.items()},
        params={
            name: sum(p.numel() for p in model.parameters())
            for name, model in models.items()
        },
        results=results,
        step_time_ratio=mixedae['median_step_s'] / mae['median_step_s'],
        step_cpu_time_ratio=mixedae['median_step_cpu_s'] /
        mae['median_step_cpu_s'],
        peak_memory_ratio=mixedae['peak_memory_bytes'] /
        mae['peak_memory_bytes'])
    _print_steps(report)

    if args.breakdown:
        with cpu_autocast(args.amp, device):
            breakdown = component_breakdown(models['mixedae'], models['mae'],
                                            args.batch, args.iters)
        report.update(
            breakdown=breakdown,
            explained_overhead_ms=explained_overhead_ms(breakdown),
            measured_overhead_ms=1e3 *
            (mixedae['median_step_s'] - mae['median_step_s']))
        _print_breakdown(report)

    if args.loader_batches > 0:
        loader = loader_throughput(args.data_root, args.batch, img_size,
                                   args.loader_batches, args.workers)
        report['data_loader'] = loader
        print(f'data loader: {loader["images_per_s"]:.1f} images/s with '
              f'{loader["num_workers"]} workers ({img_size} px crops of the '
              f'demo photographs); MixedAE trains at '
              f'{mixedae["images_per_s"]:.2f} images/s')

    out = args.out or osp.join('work_dirs', 'benchmark',
                               f'benchmark_{args.arch}_{device.type}.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(report, f, indent=2)
    print(f'[benchmark] everything in {out}')
    print(f'mixedae/mae step-time ratio: {report["step_time_ratio"]:.3f}')
    return report


def _ratios(results: Dict[str, dict], names: Sequence[str]) -> dict:
    a, b = (results[name] for name in names)
    return dict(
        step_time_ratio=a['median_step_s'] / b['median_step_s'],
        step_cpu_time_ratio=a['median_step_cpu_s'] / b['median_step_cpu_s'],
        peak_memory_ratio=a['peak_memory_bytes'] / b['peak_memory_bytes'])


def _main_mixmask(args: argparse.Namespace, device: torch.device) -> dict:
    """``--pair mixmask``: MixMask-MoCo v2 against MMPretrain's MoCo v2."""
    names = ('mixmask-mocov2', 'mocov2')
    img_size = args.img_size or 224
    cfgs = dict(
        zip(names,
            mixmask_model_configs(args.depth, args.width, args.grid_size)))
    check_mixmask_batch(args.batch, cfgs['mocov2'].queue_len)
    models = {name: build_model(cfg, device) for name, cfg in cfgs.items()}
    optimizer = mocov2_optim_wrapper().optimizer
    wrappers = {
        name: build_optimizer(model, optimizer, args.amp, device)
        for name, model in models.items()
    }
    views = [
        torch.randn(args.batch, 3, img_size, img_size, device=device)
        for _ in range(2)
    ]
    steps = {
        name: train_step(model, wrappers[name], views, args.amp)
        for name, model in models.items()
    }
    print(f'[benchmark] --pair mixmask: ResNet-{args.depth} (width '
          f'{args.width or 64}), {img_size} px, batch {args.batch} x 2 '
          f'views, mask grid {cfgs[names[0]].mask_cfg.grid_size}, '
          f'{args.iters} steps of each model (interleaved) after '
          f'{args.warmup} warm-up, device {device}, '
          f'{torch.get_num_threads()} threads, amp {args.amp}')
    times = time_interleaved(steps, args.iters, args.warmup, device)
    peaks = {
        name: peak_memory(steps[name], models[name], wrappers[name], views)
        for name in models
    }
    results = _step_results(times, peaks, args.batch)
    report = dict(
        args=vars(args),
        img_size=img_size,
        versions=_versions(),
        machine=_machine(device),
        models={name: cfg.to_dict() for name, cfg in cfgs.items()},
        params={
            name: sum(p.numel() for p in model.parameters())
            for name, model in models.items()
        },
        results=results,
        **_ratios(results, names))
    _print_steps(report, names)

    if args.breakdown:
        with cpu_autocast(args.amp, device):
            breakdown = mixmask_breakdown(models[names[0]], views[0],
                                          args.iters)
        report.update(
            breakdown=breakdown,
            predicted_step_time_ratio=predicted_step_time_ratio(breakdown))
        _print_table([('part', 'median ms', 'what')] +
                     [(name, f'{part["median_ms"]:.2f}', part['what'])
                      for name, part in breakdown.items()])
        print('predicted from the parts (MoCo v2: online fwd/bwd + momentum '
              'fwd; MixMask adds mix + online fwd/bwd): ratio '
              f'{report["predicted_step_time_ratio"]:.3f}')

    out = args.out or osp.join(
        'work_dirs', 'benchmark',
        f'benchmark_mixmask_r{args.depth}_{device.type}.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(report, f, indent=2)
    print(f'[benchmark] everything in {out}')
    print(f'mixmask-mocov2/mocov2 step-time ratio: '
          f'{report["step_time_ratio"]:.3f}')
    return report
