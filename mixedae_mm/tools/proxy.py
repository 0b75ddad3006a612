"""Does it learn?  A real-data proxy of the paper's tables.

``python tools/proxy.py [--family mae|ablations|siamese] [--quick]
[--epochs E] [--seeds 0 1 2] [--methods ...] [--work-dir DIR]``
(``make proxy``, ``make proxy-ablations``):

1. puts Fashion-MNIST where MMPretrain's ``FashionMNIST`` reads it
   (:func:`mixedae_mm.datasets.prepare_fashion_mnist`);
2. pre-trains every row with ``tools/train.py`` (mmengine's Runner), one
   shared recipe, a kNN monitor every epoch: ``--family mae`` the main rows
   (MMPretrain's MAE, MixedAE, naive mixing; 3 seeds), ``--family
   ablations`` MixedAE's single ablations (2 seeds) into the same work dir
   and table;
3. evaluates each frozen encoder on the 10,000 test images -- kNN top-1
   (k = 20, cosine, temperature-weighted votes), low-shot kNN (10 labelled
   images a class, mean of 5 draws) and a linear probe, from the cls token
   and the mean-pooled patch tokens -- and fine-tunes it end to end on 1 %
   (600) and 10 % (6,000) of the labels (the paper's protocol); floors: the
   same ViT at its initialisation (every row starts from it for the same
   seed), fine-tuned alike, and the raw pixels;
4. writes ``results.json`` (every row, fine-tuning result and run, peak
   memory of every process, settings, versions, machine, command),
   ``results.md`` (the table) and ``figure.png`` into the work dir.

Every stage of every row leaves a marker in the row's work dir
(:mod:`mixedae_mm.proxy.stages`), so a stopped run continues where it
stopped when run again with the same arguments.

``--family siamese`` runs the Siamese ConvNet rows instead -- MMPretrain's
MoCo v2 and MoCo v2 + MixMask on one ResNet and one recipe
(``configs/mixmask/proxy/``), evaluated on the pooled last stage (feature
``mean``, no fine-tuning), beside a randomly initialised ResNet and the raw
pixels -- with its own defaults (work dir ``work_dirs/proxy_siamese``).
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

#: pre-training epochs of the ViT rows, chosen from a measured curve
#: (docs/proxy.md, "How long")
DEFAULT_EPOCHS = 6
#: pre-training epochs of the Siamese rows: MoCo v2 +- MixMask with two
#: seeds in under an hour on 2 cores (0.38 / 0.70 s per step of 256 images
#: on one thread; docs/mixmask.md, "Siamese proxy rows")
SIAMESE_EPOCHS = 10
#: ``--family``: defaults of a full run (``--quick`` overrides them)
FAMILY_DEFAULTS = dict(
    mae=dict(epochs=DEFAULT_EPOCHS, seeds=[0, 1, 2],
             work_dir='work_dirs/proxy'),
    ablations=dict(epochs=DEFAULT_EPOCHS, seeds=[0, 1, 2],
                   work_dir='work_dirs/proxy'),
    siamese=dict(epochs=SIAMESE_EPOCHS, seeds=[0, 1],
                 work_dir='work_dirs/proxy_siamese'))
QUICK = dict(
    epochs=1,
    seeds=[0],
    train_images=2048,
    eval_train_images=3000,
    eval_test_images=1000,
    monitor_images=[1000, 500],
    finetune_per_class=[10, 30],
    finetune_epochs=[3, 2])
#: families whose encoders are also fine-tuned
FINETUNED_FAMILIES = ('mae', 'ablations')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from ..proxy import FAMILIES, FLOORS, METHODS, in_family
    choices = list(METHODS) + list(FLOORS)
    parser = argparse.ArgumentParser(
        description='Pre-train every proxy row on Fashion-MNIST and '
        'evaluate it (kNN, low-shot kNN, linear probe, fine-tuning).')
    parser.add_argument(
        '--family',
        choices=FAMILIES,
        default='mae',
        help='mae: MAE, MixedAE, naive mixing and the floors (ViTs, 3 '
        'seeds); ablations: MixedAE\'s single ablations (2 seeds), added to '
        'the same work dir and table; siamese: MoCo v2 +- MixMask (ResNets)')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='a few minutes: 1 epoch on 2,048 images, 1 seed, evaluation '
        'on 3,000 / 1,000 images, fine-tuning on 100 / 300 labels for 3 / 2 '
        'epochs (checks the chain, says little)')
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
        'ablations run the first two')
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
        help='rows run side by side, each with cores / jobs threads '
        '(default: 2 on a CPU machine with 2 or more cores, else 1; small '
        'models train faster as 2 one-thread processes than as one '
        'two-thread process)')
    parser.add_argument(
        '--evaluate-only',
        action='store_true',
        help='evaluate and fine-tune the checkpoints an earlier run of the '
        'same rows left in the work dir again (after a change of the '
        'evaluation), without pre-training')
    parser.add_argument(
        '--weights',
        metavar='DIR',
        help='with --evaluate-only: re-evaluate the encoders published in '
        'DIR (its weights.json; e.g. docs/proxy/weights) and compare with '
        'their published numbers')
    parser.add_argument(
        '--publish-weights',
        metavar='DIR',
        help='export every pre-trained encoder of the finished run in '
        '--work-dir into DIR (e.g. docs/proxy/weights) with weights.json, '
        'README.md and the model-zoo page\'s table; trains nothing')
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
        help='evaluate (and test the fine-tuned models) on the first N test '
        'images (default all 10,000)')
    parser.add_argument(
        '--monitor-images',
        type=int,
        nargs=2,
        metavar=('BANK', 'QUERY'),
        help='sizes of the per-epoch kNN monitor (default 10000 2000)')
    parser.add_argument(
        '--finetune-per-class',
        type=int,
        nargs=2,
        metavar=('FEW', 'MORE'),
        help='labelled images a class of the two fine-tuning runs (default '
        'the configs\': 60 600, i.e. 1 %% and 10 %%)')
    parser.add_argument(
        '--finetune-epochs',
        type=int,
        nargs=2,
        metavar=('FEW', 'MORE'),
        help='epochs of the two fine-tuning runs (default the configs\')')
    args = parser.parse_args(argv)
    family = FAMILY_DEFAULTS[args.family]
    defaults = dict(family, **QUICK) if args.quick else family
    if args.quick:  # never mixed into (or refused by) a full run's table
        defaults['work_dir'] = family['work_dir'] + '-quick'
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
    if args.weights and not args.evaluate_only:
        parser.error('--weights DIR re-evaluates published weights: add '
                     '--evaluate-only')
    if args.publish_weights and args.evaluate_only:
        parser.error('--publish-weights exports a finished run; run it '
                     'without --evaluate-only')
    return args


def plan_runs(methods: List[str], seeds: List[int]) -> List[tuple]:
    """``(method, seed)`` pairs, pre-trained rows first (in table order),
    then the floors."""
    from ..proxy import FLOORS, METHODS, seeds_for
    return [(name, seed) for rows in (METHODS, FLOORS)
            for name, method in rows.items() if name in methods
            for seed in seeds_for(method, seeds)]


def _git_commit() -> Optional[str]:
    """The commit of the code that runs (None outside a git checkout)."""
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'],
                              capture_output=True,
                              text=True,
                              cwd=osp.dirname(osp.abspath(__file__)),
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


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
    return dict(
        command='python tools/proxy.py ' + ' '.join(argv),
        git_commit=_git_commit(),
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

    The ETA assumes every row costs the same: elapsed time over the share
    of all rows done, counting a pre-training row by its logged iteration.
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
        self.say(index, f'{name}: {what} ...')
        return lambda state: self.update(index, state)

    def say(self, index: int, text: str) -> None:
        print(f'[proxy {index}/{self.total}] {text}', flush=True)

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
        self.say(
            index, f'{run["name"]}: epoch {state["epoch"]}/'
            f'{state["max_epochs"]} iter {state["iter"]}/'
            f'{state["iters_per_epoch"]} (run ETA {state["eta"]}); all rows '
            f'{100 * share:.0f}% done, ETA ~{left:.0f} min')

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
    keys = ('loss', 'loss_rec', 'loss_hc', 'homo_acc', 'loss_orig',
            'loss_mix', 'lam')
    first = {k: logged[0][k] for k in keys if logged and k in logged[0]}
    final = {k: logged[-1][k] for k in keys if logged and k in logged[-1]}
    for point in (first, final):
        if set(point) == {'loss'}:  # MMPretrain's MAE logs its pixel loss
            point['loss_rec'] = point['loss']  # as `loss`
    return dict(
        knn_curve=knn,
        homo_acc_curve=[[r['step'], r['homo_acc']] for r in logged
                        if 'homo_acc' in r],
        loss_hc_curve=[[r['step'], r['loss_hc']] for r in logged
                       if 'loss_hc' in r],
        first=first,
        final=final)


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


def _appearance_oracle(data, config: str) -> dict:
    """``homo_acc`` of keys chosen by raw appearance, on (up to) 4,000 test
    images mixed as the MixedAE config mixes them
    (:func:`mixedae_mm.proxy.homologous_oracle.appearance_oracle`)."""
    from mmengine.config import Config

    from ..proxy.homologous_oracle import appearance_oracle
    from ..proxy.rows import ROOT
    backbone = Config.fromfile(osp.join(ROOT, config)).model.backbone
    num_sources = round(1 / backbone.mixing_ratio)
    num_patches = (backbone.img_size // backbone.patch_size)**2
    topk = backbone.topk or num_patches // num_sources
    images = data.images('test', 4000)
    result = appearance_oracle(images, backbone.patch_size, num_sources,
                               topk)
    return dict(result, images=len(images), topk=topk)


def _protocol(args: argparse.Namespace) -> dict:
    """What makes two invocations' rows comparable in one table."""
    from ..proxy.finetune import FINETUNE_CONFIGS
    return dict(
        epochs=args.epochs,
        train_images=args.train_images or 60000,
        eval_train_images=args.eval_train_images or 60000,
        eval_test_images=args.eval_test_images or 10000,
        monitor_images=args.monitor_images or [10000, 2000],
        finetune_configs=list(FINETUNE_CONFIGS.values()),
        finetune_per_class=args.finetune_per_class,
        finetune_epochs=args.finetune_epochs)


def _check_protocol(work_dir: str, protocol: dict) -> None:
    """Refuse to mix rows of another protocol into ``work_dir``'s table."""
    path = osp.join(work_dir, 'results.json')
    if not osp.isfile(path):
        return
    with open(path) as f:
        earlier = json.load(f).get('protocol')
    if earlier is not None and earlier != protocol:
        differ = {
            k: (earlier.get(k), v)
            for k, v in protocol.items() if earlier.get(k) != v
        }
        raise SystemExit(
            f'{work_dir} holds proxy rows of other settings (earlier, now): '
            f'{differ}. Use another --work-dir, or the same settings to '
            'continue that run.')


def _pretrained(args, name: str, seed: int, work_dir: str, data_root: str,
                update: Callable, threads: int) -> tuple:
    """The row's config and finished pre-training record (training it, or
    continuing it, unless ``pretrain.json`` says it is done)."""
    from mmengine.config import Config

    from ..proxy import METHODS, proxy_config, train_row
    from ..proxy.stages import read_stage, write_stage
    record = read_stage(work_dir, 'pretrain')
    if record is not None and osp.isfile(record['checkpoint']):
        return Config.fromfile(osp.join(work_dir, 'config.py')), record
    if args.evaluate_only:
        raise FileNotFoundError(
            f'no finished pre-training of {name} seed {seed} in {work_dir} '
            '(its pretrain.json and checkpoint); pre-train it first '
            '(tools/proxy.py without --evaluate-only).')
    cfg = proxy_config(METHODS[name].config, args.epochs, seed, data_root,
                       args.train_images, args.monitor_images)
    return cfg, write_stage(
        work_dir, 'pretrain',
        dict(train_row(cfg, work_dir, update, threads),
             git_commit=_git_commit()))


def _finetune(args, name: str, seed: int, cfg, checkpoint: str,
              work_dir: str, data_root: str, threads: int) -> List[dict]:
    """Fine-tune on each labelled subset unless already done."""
    from ..proxy.finetune import (FINETUNE_CONFIGS, finetune_config,
                                  finetune_row)
    from ..proxy.stages import read_stage, write_stage
    results = []
    for k, config in enumerate(FINETUNE_CONFIGS.values()):
        per_class = args.finetune_per_class[k] if args.finetune_per_class \
            else None
        epochs = args.finetune_epochs[k] if args.finetune_epochs else None
        ft_cfg = finetune_config(config, cfg, checkpoint, seed, data_root,
                                 per_class, epochs, args.eval_test_images)
        labels = 10 * ft_cfg.train_dataloader.dataset.per_class
        stage = f'finetune_{labels}'
        record = None if args.evaluate_only else read_stage(work_dir, stage)
        if record is None:
            record = write_stage(
                work_dir, stage,
                dict(
                    method=name,
                    seed=seed,
                    labels=labels,
                    config=config,
                    git_commit=_git_commit(),
                    **finetune_row(ft_cfg, osp.join(work_dir, stage),
                                   threads)))
        results.append(record)
    return results


def _evaluate(args, name: str, seed: int, cfg, checkpoint: Optional[str],
              work_dir: str, data_root: str, threads: int) -> dict:
    """kNN, low-shot kNN and linear probe of the frozen encoder, in a child
    process (:mod:`mixedae_mm.proxy.evaluate`): its temporary tensors die
    with it, and its peak memory is its own."""
    from ..proxy.child import run_child
    from ..proxy.rows import ROOT, child_env
    from ..proxy.stages import stage_path, write_stage
    out = stage_path(work_dir, 'evaluation')
    command = [
        sys.executable, '-m', 'mixedae_mm.proxy.evaluate', '--method', name,
        '--seed',
        str(seed), '--out', out, '--data-root', data_root
    ]
    if cfg is not None:
        config = osp.join(work_dir, 'config.py')
        if not osp.isfile(config):  # the random-init floor's
            cfg.dump(config)
        command += ['--config', config, '--checkpoint', checkpoint]
    for flag, value in (('--train-images', args.eval_train_images),
                        ('--test-images', args.eval_test_images)):
        if value is not None:
            command += [flag, str(value)]
    start = time.time()
    returncode, peak, tail = run_child(
        command, osp.join(work_dir, 'evaluation.log'), ROOT,
        child_env(threads))
    if returncode:
        raise RuntimeError(
            f'evaluation failed (exit {returncode}): {" ".join(command)}\n'
            f'last lines of {work_dir}/evaluation.log:\n{tail}')
    with open(out) as f:
        record = json.load(f)
    return write_stage(
        work_dir, 'evaluation',
        dict(record, minutes=(time.time() - start) / 60,
             peak_rss_mib=peak, git_commit=_git_commit()))


def run_proxy(args: argparse.Namespace, argv: List[str]) -> dict:
    """Run every planned row; returns the ``results.json`` content (every
    row evaluated in the work dir with the same protocol, also by earlier
    invocations)."""
    from mmengine.logging import MMLogger

    from ..datasets import prepare_fashion_mnist
    from ..proxy import FLOORS, METHODS, ProxyData, proxy_config, read_scalars
    from ..proxy.child import peak_rss_mib
    from ..proxy.finetune import save_initial_checkpoint
    from ..proxy.stages import read_stage, write_stage

    started = time.time()
    os.makedirs(args.work_dir, exist_ok=True)
    protocol = _protocol(args)
    _check_protocol(args.work_dir, protocol)
    # the Runners log to their work dirs; keep the parent's weight
    # initialisation messages off the terminal
    MMLogger.get_instance('mixedae_proxy', log_level='WARNING')
    data_root = prepare_fashion_mnist(args.data_root)
    plan = plan_runs(args.methods, args.seeds)
    print(f'[proxy] family {args.family}: {len(plan)} rows ({plan}), '
          f'{args.epochs} pre-training epoch(s); work dir {args.work_dir}',
          flush=True)
    progress = _Progress(len(plan))
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    if args.jobs > 1:
        torch.set_num_threads(1)  # the parent works beside the jobs
    rows_by_name = {**METHODS, **FLOORS}

    def run_row(index: int, name: str, seed: int) -> None:
        method = rows_by_name[name]
        work_dir = osp.join(args.work_dir, f'{name}_seed{seed}')
        os.makedirs(work_dir, exist_ok=True)
        what = 'evaluating' if args.evaluate_only or name not in METHODS \
            else 'pre-training'
        update = progress.start_run(index, f'{name} seed {seed}', what)
        cfg = checkpoint = None
        if name in METHODS:
            cfg, trained = _pretrained(args, name, seed, work_dir, data_root,
                                       update, threads)
            checkpoint = trained['checkpoint']
        elif method.config:  # the encoder at its initialisation
            cfg = proxy_config(method.config, args.epochs, seed, data_root)
            checkpoint = osp.join(work_dir, 'init.pth')
            if not osp.isfile(checkpoint):
                save_initial_checkpoint(cfg, seed, checkpoint)
        evaluation = None if args.evaluate_only else read_stage(
            work_dir, 'evaluation')
        if evaluation is None:
            evaluation = _evaluate(args, name, seed, cfg, checkpoint,
                                   work_dir, data_root, threads)
        finetuned = []
        if cfg is not None and method.family in FINETUNED_FAMILIES:
            progress.say(index, f'{name} seed {seed}: fine-tuning ...')
            finetuned = _finetune(args, name, seed, cfg, checkpoint,
                                  work_dir, data_root, threads)
        progress.end_run(index)
        best = max(r['knn_top1'] for r in evaluation['rows'])
        tuned = ', '.join(f'{r["labels"]} labels {100 * r["top1"]:.1f}'
                          for r in finetuned)
        progress.say(index, f'{name} seed {seed}: kNN top-1 {best:.4f}' +
                     (f'; fine-tuned: {tuned}' if tuned else ''))

    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [
            pool.submit(run_row, index, name, seed)
            for index, (name, seed) in enumerate(plan, 1)
        ]
        for future in futures:
            future.result()

    results = _collect(args.work_dir, rows_by_name, read_scalars)
    results['peak_rss_mib']['parent'] = peak_rss_mib()
    order = list(METHODS) + list(FLOORS)
    from ..proxy import summarise, write_figure, write_table
    results['summary'] = summarise(results['rows'], results['runs'], order,
                                   results['finetune'])
    family = 'siamese' if args.family == 'siamese' else 'mae'
    if family == 'mae':
        results['homo_acc_chance'] = _homo_acc_chance(
            METHODS['mixedae'].config)
        results['homo_acc_oracle'] = _appearance_oracle(
            ProxyData(METHODS['mae'].config, data_root, None,
                      args.eval_test_images), METHODS['mixedae'].config)
    results['protocol'] = protocol
    results['settings'] = dict(
        family=args.family,
        seeds=args.seeds,
        methods=args.methods,
        quick=args.quick,
        evaluate_only=args.evaluate_only,
        jobs=args.jobs,
        threads_per_job=threads,
        knn=dict(k=20, temperature=0.07, similarity='cosine'),
        lowshot_knn=dict(per_class=10, draws=5, k=20),
        linear_probe=dict(solver='L-BFGS', weight_decay=1e-4, max_iter=300,
                          standardised=True),
        **protocol)
    results['environment'] = _environment(argv)
    results['started'] = datetime.datetime.fromtimestamp(started).isoformat(
        timespec='seconds')
    results['total_minutes'] = (time.time() - started) / 60
    labels = {k: m.label for k, m in rows_by_name.items()}
    header = (f'Fashion-MNIST proxy, {args.epochs} pre-training epoch(s) '
              'per run, top-1 (%) on '
              f'{protocol["eval_test_images"]} test images, mean ± std over '
              f'seeds; this invocation ({args.family}) took '
              f'{results["total_minutes"]:.1f} min.\n\n')
    figure, footer = osp.join(args.work_dir, 'figure.png'), ''
    if family == 'siamese':  # kNN monitor and the collapse signals
        from ..proxy.siamese_report import (collapse_summary, collapse_table,
                                            write_siamese_figure)
        results['collapse'] = collapse_summary(results['runs'])
        floor = [
            r['knn_top1'] for r in results['rows']
            if r['method'] == 'random-init-resnet'
        ]
        write_siamese_figure(
            results['runs'], labels, figure,
            floor_knn=sum(floor) / len(floor) if floor else None)
        footer = collapse_table(results['collapse'], labels)
    else:
        write_figure(results['runs'], labels, figure,
                     results.get('homo_acc_chance'), results['summary'],
                     results.get('homo_acc_oracle'))
    table = write_table(results['summary'],
                        osp.join(args.work_dir, 'results.md'), header,
                        family, footer)
    _write_json(results, args.work_dir)
    print(table, flush=True)
    print(f'[proxy] done in {results["total_minutes"]:.1f} min: '
          f'{args.work_dir}/results.json, results.md, figure.png',
          flush=True)
    return results


def _collect(work_dir: str, rows_by_name: dict,
             read_scalars: Callable) -> dict:
    """Every finished row of ``work_dir``: frozen evaluations, fine-tuning
    results, pre-training runs (with their curves) and peak memory."""
    from ..proxy.stages import read_stage
    rows, runs, finetune, peaks = [], [], [], {}
    for name, method in rows_by_name.items():
        dirs = sorted(
            (int(d.rsplit('_seed', 1)[1]), d) for d in os.listdir(work_dir)
            if d.startswith(name + '_seed') and d.rsplit('_seed', 1)[1].
            isdigit() and d.rsplit('_seed', 1)[0] == name)
        for seed, d in dirs:
            row_dir = osp.join(work_dir, d)
            evaluation = read_stage(row_dir, 'evaluation')
            if evaluation is None:
                continue
            rows += [
                dict(method=name, label=method.label, seed=seed, **r)
                for r in evaluation['rows']
            ]
            if evaluation.get('peak_rss_mib') is not None:
                peaks[f'evaluate {name} seed {seed}'] = evaluation[
                    'peak_rss_mib']
            trained = read_stage(row_dir, 'pretrain')
            if trained is not None:
                peaks[f'pretrain {name} seed {seed}'] = trained.get(
                    'peak_rss_mib')
                runs.append(
                    dict(
                        method=name, seed=seed, work_dir=row_dir,
                        **trained, **_curves(read_scalars(row_dir))))
            for stage in sorted(os.listdir(row_dir)):
                record = read_stage(row_dir, stage) if stage.startswith(
                    'finetune_') else None
                if record is not None:
                    peaks[f'finetune {name} seed {seed} '
                          f'{record["labels"]} labels'] = record.get(
                              'peak_rss_mib')
                    finetune.append(
                        {k: record[k] for k in ('method', 'seed', 'labels',
                                                'top1', 'minutes')})
    return dict(rows=rows, finetune=finetune, runs=runs, peak_rss_mib=peaks)


def _write_json(results: dict, work_dir: str) -> None:
    path = osp.join(work_dir, 'results.json')
    with open(path + '.part', 'w') as f:
        json.dump(results, f, indent=1, default=str)
    os.replace(path + '.part', path)


def main(argv: Optional[List[str]] = None):
    """The ``results.json`` content; with ``--publish-weights`` /
    ``--weights`` the list of :func:`~mixedae_mm.proxy.weights.
    weights_command` instead."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.publish_weights or args.weights:  # published encoders
        from ..proxy.weights import weights_command
        return weights_command(args.work_dir, args.data_root,
                               args.publish_weights, args.weights)
    return run_proxy(args, argv)
