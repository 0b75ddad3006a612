"""The Siamese family's own report parts: collapse signals and their figure.

Every Siamese row (MoCo v2, BYOL, each with and without MixMask) logs two
collapse signals during pre-training
(:func:`mixedae_mm.models.utils.embedding_stats`): ``emb_std``, the spread
of the L2-normalised embeddings (about ``1 / sqrt(D)`` when healthy, 0 when
collapsed), and ``view_cos``, the alignment of the two views.  This module
reads them from each run's ``vis_data/scalars.json``, summarises them per
method and draws them beside the kNN monitor.
"""
import math
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from .report import format_cell, mean_std
from .rows import read_scalars

__all__ = [
    'SIGNALS', 'collapse_curves', 'collapse_summary', 'collapse_table',
    'write_siamese_figure'
]

#: the logged collapse signals
SIGNALS = ('emb_std', 'view_cos')


def collapse_curves(records: Sequence[dict]) -> Dict[str, list]:
    """``[iteration, value]`` curves of every signal in a run's records.

    Args:
        records (Sequence[dict]): ``scalars.json`` records
            (:func:`~mixedae_mm.proxy.read_scalars`).

    Returns:
        dict[str, list]: ``emb_std`` and ``view_cos`` curves (empty lists
        for a run that did not log them).
    """
    return {
        key: [[r['step'], r[key]] for r in records if key in r]
        for key in SIGNALS
    }


def _run_curves(run: dict) -> Dict[str, list]:
    if 'collapse_curves' not in run:
        run['collapse_curves'] = collapse_curves(
            read_scalars(run['work_dir']) if run.get('work_dir') else [])
    return run['collapse_curves']


def collapse_summary(runs: List[dict]) -> Dict[str, dict]:
    """Per method, over seeds: the final and the lowest ``emb_std`` and the
    final ``view_cos`` (each a ``(mean, std)`` pair, std None for one seed).

    Args:
        runs (list[dict]): Run records with ``method`` and ``work_dir``
            (read once; the curves are cached in ``collapse_curves``).

    Returns:
        dict[str, dict]: ``method -> dict(seeds, emb_std_final,
        emb_std_min, view_cos_final)``; methods without the signals are
        left out.
    """
    by_method = defaultdict(list)
    for run in runs:
        curves = _run_curves(run)
        if curves['emb_std']:
            by_method[run['method']].append((run['seed'], curves))
    summary = {}
    for method, seeded in by_method.items():
        summary[method] = dict(
            seeds=sorted(seed for seed, _ in seeded),
            emb_std_final=mean_std([c['emb_std'][-1][1] for _, c in seeded]),
            emb_std_min=mean_std(
                [min(v for _, v in c['emb_std']) for _, c in seeded]),
            view_cos_final=mean_std(
                [c['view_cos'][-1][1] for _, c in seeded
                 if c['view_cos']]))
    return summary


def collapse_table(summary: Dict[str, dict], labels: Dict[str, str],
                   dim: int = 128) -> str:
    """A Markdown table of :func:`collapse_summary`.

    Args:
        summary (dict): From :func:`collapse_summary`.
        labels (dict): Method -> label.
        dim (int): Embedding dimension ``D`` (the healthy ``emb_std`` is
            about ``1 / sqrt(D)``). Defaults to 128.

    Returns:
        str: The table, with a line on how to read it.
    """
    lines = [
        f'Collapse signals (last logged value, a 10-iteration window; '
        f'healthy emb_std ≈ 1/√{dim} = {1 / math.sqrt(dim):.3f}, collapsed '
        '0):\n',
        '| method | seeds | final emb_std | lowest emb_std | final view_cos '
        '|', '|---|---|---|---|---|'
    ]
    for method, record in summary.items():
        lines.append('| ' + ' | '.join([
            labels.get(method, method), ', '.join(map(str, record['seeds'])),
            format_cell(record['emb_std_final'], 1., 4),
            format_cell(record['emb_std_min'], 1., 4),
            format_cell(record['view_cos_final'], 1., 3)
        ]) + ' |')
    return '\n'.join(lines) + '\n'


def _mean_of(seed_curves: List[list]) -> tuple:
    """Steps every seed logged, and the mean over seeds there."""
    steps = sorted(set.intersection(*[{p[0] for p in c}
                                      for c in seed_curves]))
    as_dicts = [dict(map(tuple, c)) for c in seed_curves]
    return steps, [sum(d[s] for d in as_dicts) / len(as_dicts)
                   for s in steps]


def write_siamese_figure(runs: List[dict],
                         labels: Dict[str, str],
                         path: str,
                         floor_knn: Optional[float] = None,
                         dim: int = 128) -> str:
    """Three panels: (a) the kNN monitor against epochs (mean of seeds,
    thick; every seed, thin; epoch 0 is the random initialisation), (b)
    ``emb_std`` and (c) ``view_cos`` against iterations (mean of seeds,
    thick; every seed, thin).

    Args:
        runs (list[dict]): Run records with ``method``, ``seed``,
            ``work_dir`` and ``knn_curve`` (list of ``dict(epoch, mean)``).
        labels (dict): Method -> label.
        path (str): PNG path.
        floor_knn (float, optional): The random-init floor's kNN top-1 on
            the full evaluation, drawn as a dotted line for reference.
        dim (int): Embedding dimension, for the ``1 / sqrt(D)`` line.

    Returns:
        str: ``path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, (ax_knn, ax_std, ax_cos) = plt.subplots(1, 3, figsize=(18, 5))
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    methods = list(dict.fromkeys(r['method'] for r in runs))
    colour_of = {m: colours[i % len(colours)] for i, m in enumerate(methods)}
    for method in methods:
        mine = [r for r in runs if r['method'] == method]
        label = labels.get(method, method)
        knn = [[[p['epoch'], 100 * p['mean']] for p in r.get('knn_curve', [])
                if p.get('mean') is not None] for r in mine]
        knn = [c for c in knn if c]
        panels = [(ax_knn, knn)] + [
            (ax, [c for c in (_run_curves(r)[key] for r in mine) if c])
            for ax, key in ((ax_std, 'emb_std'), (ax_cos, 'view_cos'))
        ]
        for ax, seed_curves in panels:
            if not seed_curves:
                continue
            for curve in seed_curves:
                ax.plot([p[0] for p in curve], [p[1] for p in curve],
                        color=colour_of[method], alpha=.35, linewidth=.7)
            steps, values = _mean_of(seed_curves)
            ax.plot(steps, values, color=colour_of[method], linewidth=2,
                    marker='o' if ax is ax_knn else None, markersize=3,
                    label=f'{label} ({len(seed_curves)} seeds)')
    if floor_knn is not None:
        ax_knn.axhline(100 * floor_knn, color='grey', linestyle=':',
                       label=f'random init, full evaluation '
                       f'({100 * floor_knn:.1f})')
    ax_std.axhline(1 / math.sqrt(dim), color='grey', linestyle=':',
                   label=f'1/√{dim} (spread evenly)')
    ax_knn.set_xlabel('epoch (0: random initialisation)')
    ax_knn.set_ylabel('kNN top-1 (%) of the monitor subset')
    ax_knn.set_title('(a) kNN during pre-training')
    ax_std.set_xlabel('iteration')
    ax_std.set_ylabel('emb_std')
    ax_std.set_title('(b) spread of the normalised embeddings\n'
                     '(0 = collapsed)')
    ax_std.set_ylim(bottom=0)
    ax_cos.set_xlabel('iteration')
    ax_cos.set_ylabel('view_cos')
    ax_cos.set_title('(c) alignment of the two views (mean cosine)')
    for ax in (ax_knn, ax_std, ax_cos):
        ax.grid(alpha=.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
