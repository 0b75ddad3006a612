"""Does it learn?  A real-data proxy of the paper's ablation table.

``python tools/proxy.py [--quick] [--epochs E] [--seeds 0 1 2]
[--methods ...] [--work-dir DIR]`` (``make proxy``):

1. puts Fashion-MNIST where MMPretrain's ``FashionMNIST`` reads it
   (:func:`mixedae_mm.datasets.prepare_fashion_mnist`);
2. pre-trains every row -- MMPretrain's MAE, MixedAE, naive mixing and the
   single ablations -- with ``tools/train.py`` (mmengine's Runner), one
   shared recipe, a kNN monitor every epoch;
3. evaluates each frozen encoder on the 10,000 test images: kNN top-1
   (k = 20, cosine, temperature-weighted votes) and a linear probe, from
   the cls token and from the mean-pooled patch tokens; plus two floors,
   the same ViT randomly initialised and the raw pixels;
4. writes ``results.json`` (every row and run, settings, versions,
   machine, command), ``results.md`` (the table) and ``figure.png`` (kNN
   against epochs, ``homo_acc`` against iterations) into the work dir.

``--family siamese`` runs the Siamese ConvNet rows instead -- MMPretrain's
MoCo v2 and MoCo v2 + MixMask on one ResNet and one recipe
(``configs/mixmask/proxy/``), evaluated the same way on the pooled last
stage (feature ``mean``), beside a randomly initialised ResNet and the raw
pixels -- with its own defaults (2 epochs, seeds 0 1, work dir
``work_dirs/proxy_siamese``).
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Optional

import torch

__all__ = ['FAMILY_DEFAULTS', 'parse_args', 'plan_runs', 'run_proxy', 'main']

DEFAULT_EPOCHS = 3
#: ``--family``: defaults of a full run (``--quick`` overrides epochs and
#: seeds for both)
FAMILY_DEFAULTS = dict(
    mae=dict(epochs=DEFAULT_EPOCHS, seeds=[0, 1, 2],
             work_dir='work_dirs/proxy'),
    siamese=dict(epochs=2, seeds=[0, 1], work_dir='work_dirs/proxy_siamese'))
QUICK = dict(
    epochs=1,
    seeds=[0],
    train_images=2048,
    eval_train_images=3000,
    eval_test_images=1000,
    monitor_images=[1000, 500])


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from ..proxy import FAMILIES, FLOORS, METHODS, in_family
    choices = list(METHODS) + list(FLOORS)
    parser = argparse.ArgumentParser(
        description='Pre-train every proxy row on Fashion-MNIST and '
        'evaluate it (kNN, linear probe).')
    parser.add_argument(
        '--family',
        choices=FAMILIES,
        default='mae',
        help='mae: MAE, MixedAE and its ablations (ViTs); siamese: MoCo v2 '
        'and MoCo v2 + MixMask (ResNets), default 2 epochs, seeds 0 1')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='a few minutes: 1 epoch on 2,048 images, 1 seed, evaluation '
        'on 3,000 / 1,000 images (checks the chain, says little)')
    parser.add_argument(
        '--epochs',
        type=int,
        help=f'pre-training epochs of every row (default {DEFAULT_EPOCHS}; '
        'quick: 1)')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        help='seeds of the main rows (default 0 1 2; quick: 0); the single '
        'ablations run the first one')
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=choices,
        metavar='METHOD',
        help='rows to run (default: all of the family): '
        f'{" ".join(choices)}')
    parser.add_argument(
        '--jobs',
        type=int,
        help='runs pre-trained side by side, each with cores / jobs '
        'threads (default: 2 on a CPU machine with 2 or more cores, else 1; '
        'small models train faster as 2 one-thread processes than as one '
        'two-thread process)')
    parser.add_argument(
        '--evaluate-only',
        action='store_true',
        help='evaluate the checkpoints an earlier run of the same rows left '
        'in the work dir again (after a change of the evaluation), without '
        'pre-training; the training records are kept')
    parser.add_argument(
        '--work-dir',
        help='default work_dirs/proxy (siamese: work_dirs/proxy_siamese)')
    parser.add_argument(
        '--data-root',
        default='data/fashion_mnist',
        help='where the un-gzipped Fashion-MNIST files are put / read')
    parser.add_argument(
        '--train-images',
        type=int,
        help='pre-train on the first N training images only')
    parser.add_argument(
        '--eval-train-images',
        type=int,
        help='kNN bank / probe training set: the first N training images '
        '(default all 60,000)')
    parser.add_argument(
        '--eval-test-images',
        type=int,
        help='evaluate on the first N test images (default all 10,000)')
    parser.add_argument(
        '--monitor-images',
        type=int,
        nargs=2,
        metavar=('BANK', 'QUERY'),
        help='sizes of the per-epoch kNN monitor (default 10000 2000)')
    args = parser.parse_args(argv)
    family = FAMILY_DEFAULTS[args.family]
    defaults = dict(family, **QUICK) if args.quick else family
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    rows = {**METHODS, **FLOORS}
    if args.methods is None:
        args.methods = [
            name for name, method in rows.items()
            if in_family(method, args.family)
        ]
    others = [m for m in args.methods if not in_family(rows[m], args.family)]
    if others:
        parser.error(f'--methods {" ".join(others)}: not of --family '
                     f'{args.family}; pick the family they belong to.')
    if args.epochs < 1:
        parser.error('--epochs must be at least 1')
    if args.jobs is None:
        args.jobs = 1 if torch.cuda.is_available() else min(
            2, os.cpu_count() or 1)
    if args.jobs < 1:
        parser.error('--jobs must be at least 1')
    return args


def plan_runs(methods: List[str], seeds: List[int]) -> List[tuple]:
    """``(method, seed)`` pairs to pre-train, in table order."""
    from ..proxy import METHODS, seeds_for
    return [(name, seed) for name, method in METHODS.items()
            if name in methods for seed in seeds_for(method, seeds)]


def _environment(argv: List[str]) -> dict:
    import mmcv
    import mmengine
    import mmpretrain

    from mixedae_mm import __version__
    cpu = platform.processor()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f
                       if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'],
                                capture_output=True,
                                text=True,
                                cwd=osp.dirname(osp.abspath(__file__)),
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return dict(
        command='python tools/proxy.py ' + ' '.join(argv),
        git_commit=commit,
        python=platform.python_version(),
        torch=torch.__version__,
        mmengine=mmengine.__version__,
        mmcv=mmcv.__version__,
        mmpretrain=mmpretrain.__version__,
        mixedae_mm=__version__,
        machine=dict(
            platform=platform.platform(),
            cpu=cpu,
            cpu_count=os.cpu_count(),
            torch_threads=torch.get_num_threads(),
            cuda=torch.cuda.is_available()))


class _Progress:
    """Progress and ETA lines on the terminal (at most every 20 s per run).

    The ETA assumes every run costs the same (same epochs and data):
    elapsed time over the share of all runs done, counting the running
    ones by their logged iteration.
    """

    def __init__(self, total_runs: int) -> None:
        self.total = total_runs
        self.start = time.time()
        self.finished = 0
        self.running: dict = {}
        self.lock = threading.Lock()

    def start_run(self, index: int, name: str,
                  what: str = 'pre-training') -> Callable[[dict], None]:
        with self.lock:
            self.running[index] = dict(name=name, done=0., last=0.)
        print(f'[proxy {index}/{self.total}] {name}: {what} ...', flush=True)
        return lambda state: self.update(index, state)

    def update(self, index: int, state: dict) -> None:
        now = time.time()
        with self.lock:
            run = self.running[index]
            run['done'] = ((state['epoch'] - 1) * state['iters_per_epoch'] +
                           state['iter']) / (state['max_epochs'] *
                                             state['iters_per_epoch'])
            if now - run['last'] < 20:
                return
            run['last'] = now
            share = (self.finished + sum(
                r['done'] for r in self.running.values())) / self.total
        left = (now - self.start) / 60 * (1 - share) / max(share, 1e-3)
        print(
            f'[proxy {index}/{self.total}] {run["name"]}: epoch '
            f'{state["epoch"]}/{state["max_epochs"]} iter '
            f'{state["iter"]}/{state["iters_per_epoch"]} (run ETA '
            f'{state["eta"]}); all runs {100 * share:.0f}% done, ETA '
            f'~{left:.0f} min',
            flush=True)

    def end_run(self, index: int) -> None:
        with self.lock:
            self.running.pop(index, None)
            self.finished += 1


def _curves(records: list) -> dict:
    """kNN monitor and logged losses from a run's ``scalars.json``."""
    knn = [
        dict(
            epoch=r['epoch'],
            cls=r.get('knn/cls_top1'),
            mean=r.get('knn/mean_top1')) for r in records
        if 'knn/cls_top1' in r or 'knn/mean_top1' in r
    ]
    logged = [r for r in records if 'loss' in r]
    homo = [[r['step'], r['homo_acc']] for r in logged if 'homo_acc' in r]
    keys = ('loss', 'loss_rec', 'loss_hc', 'homo_acc', 'loss_orig',
            'loss_mix', 'lam')
    first = {k: logged[0][k] for k in keys if logged and k in logged[0]}
    final = {k: logged[-1][k] for k in keys if logged and k in logged[-1]}
    for point in (first, final):
        if set(point) == {'loss'}:  # MMPretrain's MAE logs its pixel loss
            point['loss_rec'] = point['loss']  # as `loss`
    return dict(
        knn_curve=knn, homo_acc_curve=homo, first=first, final=final)


def _homo_acc_chance(config: str) -> Optional[float]:
    """Chance level of ``homo_acc``: a query's kept keys (its own excluded)
    drawn at random are homologous with probability (r N - 1) / (N - 1)."""
    from mmengine.config import Config

    from ..proxy.rows import ROOT
    cfg = Config.fromfile(osp.join(ROOT, config))
    backbone = cfg.model.backbone
    num_patches = (backbone.img_size // backbone.patch_size)**2
    per_source = round(num_patches * backbone.mixing_ratio)
    return (per_source - 1) / (num_patches - 1)


def _segment_embedding_check(runs: list, rows: list) -> dict:
    """homo_acc early / late and kNN with and without the embedding."""
    from ..proxy.report import mean_std
    check = {}
    for method in ('mixedae', 'no-segment-embed'):
        method_runs = [r for r in runs if r['method'] == method]
        if not method_runs:
            continue
        knn = [
            r['knn_top1'] for r in rows
            if r['method'] == method and r['feature'] == 'mean'
        ]
        check[method] = dict(
            seeds=[r['seed'] for r in method_runs],
            homo_acc_first=mean_std(
                [r['first'].get('homo_acc') for r in method_runs]),
            homo_acc_final=mean_std(
                [r['final'].get('homo_acc') for r in method_runs]),
            first_logged_iter=method_runs[0]['homo_acc_curve'][0][0]
            if method_runs[0]['homo_acc_curve'] else None,
            knn_mean_top1=mean_std(knn))
    return check


def _previous_results(work_dir: str) -> dict:
    """``work_dir/results.json`` of an earlier run."""
    path = osp.join(work_dir, 'results.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'--evaluate-only needs the results.json of an earlier run in '
            f'{work_dir}; run tools/proxy.py without it first.')
    with open(path) as f:
        return json.load(f)


def _finished_run(previous: dict, name: str, seed: int,
                  work_dir: str) -> tuple:
    """Config and training record of a run pre-trained earlier."""
    from mmengine.config import Config
    run = next((r for r in previous.get('runs', [])
                if (r['method'], r['seed']) == (name, seed)), None)
    config = osp.join(work_dir, 'config.py')
    if run is None or not osp.isfile(run['checkpoint']) or not osp.isfile(
            config):
        raise FileNotFoundError(
            f'no finished run of {name} seed {seed} in {work_dir} (its '
            'config.py, checkpoint and results.json record); pre-train it '
            'first (tools/proxy.py without --evaluate-only).')
    trained = {k: run[k] for k in ('checkpoint', 'minutes', 'command')}
    return Config.fromfile(config), trained


def run_proxy(args: argparse.Namespace, argv: List[str]) -> dict:
    """Run every row; returns the ``results.json`` content."""
    from mmengine.logging import MMLogger

    from ..datasets import prepare_fashion_mnist
    from ..proxy import (FLOORS, METHODS, ProxyData, build_model, evaluate_row,
                         proxy_config, read_scalars, seeds_for, summarise,
                         train_row, write_figure, write_table)

    started = time.time()
    os.makedirs(args.work_dir, exist_ok=True)
    # the Runners log to their work dirs; keep the parent's weight
    # initialisation messages off the terminal
    MMLogger.get_instance('mixedae_proxy', log_level='WARNING')
    data_root = prepare_fashion_mnist(args.data_root)
    runs_plan = plan_runs(args.methods, args.seeds)
    floors = [name for name in FLOORS if name in args.methods]
    print(f'[proxy] family {args.family}: {len(runs_plan)} pre-training '
          f'runs of {args.epochs} epoch(s), seeds {args.seeds}, floors '
          f'{floors}; work dir {args.work_dir}', flush=True)
    data = ProxyData(
        METHODS['mae'].config, data_root, args.eval_train_images,
        args.eval_test_images)
    progress = _Progress(len(runs_plan))
    rows, runs = [], []
    results = dict(rows=rows, runs=runs)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    if args.jobs > 1:
        torch.set_num_threads(1)  # the parent evaluates beside the jobs

    previous = _previous_results(
        args.work_dir) if args.evaluate_only else {}

    def pretrain_and_evaluate(index: int, name: str, seed: int) -> tuple:
        method = METHODS[name]
        update = progress.start_run(
            index, f'{name} seed {seed}',
            'evaluating' if args.evaluate_only else 'pre-training')
        work_dir = osp.join(args.work_dir, f'{name}_seed{seed}')
        if args.evaluate_only:
            cfg, trained = _finished_run(previous, name, seed, work_dir)
        else:
            cfg = proxy_config(method.config, args.epochs, seed, data_root,
                               args.train_images, args.monitor_images)
            trained = train_row(cfg, work_dir, update, threads)
        model = build_model(cfg, trained['checkpoint'], seed)
        evaluated = [
            dict(method=name, label=method.label, seed=seed, **result)
            for result in evaluate_row(method, data, model)
        ]
        run = dict(
            method=name, seed=seed, work_dir=work_dir, **trained,
            **_curves(read_scalars(work_dir)))
        progress.end_run(index)
        best = max(r['knn_top1'] for r in evaluated)
        print(f'[proxy {index}/{len(runs_plan)}] {name} seed {seed}: '
              f'{trained["minutes"]:.1f} min, kNN top-1 {best:.4f}, final '
              f'{run["final"]}', flush=True)
        return evaluated, run

    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [
            pool.submit(pretrain_and_evaluate, index, name, seed)
            for index, (name, seed) in enumerate(runs_plan, 1)
        ]
        for future in futures:  # in table order
            evaluated, run = future.result()
            rows += evaluated
            runs.append(run)
            _write_json(results, args.work_dir)  # partial results survive
    for name in floors:
        method = FLOORS[name]
        for seed in seeds_for(method, args.seeds):
            model = None
            if method.config:  # a randomly initialised encoder
                model = build_model(
                    proxy_config(method.config, 1, seed, data_root), None,
                    seed)
            for result in evaluate_row(method, data, model):
                rows.append(dict(method=name, label=method.label, seed=seed,
                                 **result))
        knn = [round(r['knn_top1'], 4) for r in rows if r['method'] == name]
        print(f'[proxy] floor {name}: kNN top-1 {knn}', flush=True)

    labels = {**{k: m.label for k, m in METHODS.items()},
              **{k: m.label for k, m in FLOORS.items()}}
    order = list(METHODS) + list(FLOORS)
    results['summary'] = summarise(rows, runs, order)
    if args.family == 'mae':
        results['homo_acc_chance'] = _homo_acc_chance(
            METHODS['mixedae'].config)
        results['segment_embedding_check'] = _segment_embedding_check(
            runs, rows)
    results['settings'] = dict(
        family=args.family,
        epochs=args.epochs,
        seeds=args.seeds,
        methods=args.methods,
        quick=args.quick,
        evaluate_only=args.evaluate_only,
        jobs=args.jobs,
        threads_per_job=threads,
        train_images=args.train_images or 60000,
        eval_train_images=args.eval_train_images or 60000,
        eval_test_images=args.eval_test_images or 10000,
        monitor_images=args.monitor_images or [10000, 2000],
        knn=dict(k=20, temperature=0.07, similarity='cosine'),
        linear_probe=dict(solver='L-BFGS', weight_decay=1e-4, max_iter=300,
                          standardised=True))
    results['environment'] = _environment(argv)
    results['started'] = datetime.datetime.fromtimestamp(started).isoformat(
        timespec='seconds')
    results['total_minutes'] = (time.time() - started) / 60
    if args.evaluate_only:  # what the pre-training run took
        results['pretraining'] = {
            k: previous.get(k)
            for k in ('started', 'total_minutes', 'environment')
        }
    header = (f'Fashion-MNIST proxy ({args.family}), {args.epochs} epoch(s) '
              'per run, top-1 (%) on '
              f'{results["settings"]["eval_test_images"]} test images, mean '
              '± std over seeds; total '
              f'{results["total_minutes"]:.1f} min.\n\n')
    table = write_table(results['summary'],
                        osp.join(args.work_dir, 'results.md'), header,
                        args.family)
    write_figure(runs, labels, osp.join(args.work_dir, 'figure.png'),
                 results.get('homo_acc_chance'))
    _write_json(results, args.work_dir)
    print(table, flush=True)
    print(f'[proxy] done in {results["total_minutes"]:.1f} min: '
          f'{args.work_dir}/results.json, results.md, figure.png',
          flush=True)
    return results


def _write_json(results: dict, work_dir: str) -> None:
    path = osp.join(work_dir, 'results.json')
    with open(path + '.part', 'w') as f:
        json.dump(results, f, indent=1, default=str)
    os.replace(path + '.part', path)


def main(argv: Optional[List[str]] = None) -> dict:
    argv = sys.argv[1:] if argv is None else list(argv)
    return run_proxy(parse_args(argv), argv)
