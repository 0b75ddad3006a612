"""The proxy's outputs: summary over seeds, Markdown table, figure."""
import math
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

__all__ = [
    'mean_std', 'summarise', 'format_cell', 'write_table', 'curves',
    'write_figure'
]


def mean_std(values: Sequence[float]) -> tuple:
    """Mean and sample standard deviation (None for a single value)."""
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def summarise(rows: List[dict],
              runs: List[dict],
              order: Sequence[str],
              finetune: Sequence[dict] = ()) -> List[dict]:
    """One record per method: accuracies of every feature over seeds, the
    fine-tuning top-1 per number of labels, and the runs' final
    ``homo_acc`` / ``loss_rec`` / ``loss_hc`` (MixMask: ``loss`` /
    ``loss_orig`` / ``loss_mix``) and minutes.

    Args:
        rows (list[dict]): ``results.json`` rows (method, seed, feature,
            knn_top1, linear_top1, optionally lowshot_knn_top1).
        runs (list[dict]): One record per pre-training run (method, seed,
            minutes, final dict).
        order (Sequence[str]): Methods in table order.
        finetune (Sequence[dict]): Fine-tuning results (method, seed,
            labels, top1).

    Returns:
        list[dict]: ``method``, ``label``, ``seeds``, ``features`` (feature
        -> knn/lowshot/linear mean and std), ``finetune`` (labels -> mean
        and std), ``homo_acc``, ``loss_rec``, ``loss_hc``, ``loss``,
        ``loss_orig``, ``loss_mix``, ``minutes`` (each a (mean, std) pair).
    """
    by_method = defaultdict(list)
    for row in rows:
        by_method[row['method']].append(row)
    runs_by_method = defaultdict(list)
    for run in runs:
        runs_by_method[run['method']].append(run)
    summary = []
    for method in order:
        if method not in by_method:
            continue
        method_rows = by_method[method]
        features = {}
        for feature in dict.fromkeys(r['feature'] for r in method_rows):
            chosen = [r for r in method_rows if r['feature'] == feature]
            features[feature] = dict(
                knn=mean_std([r['knn_top1'] for r in chosen]),
                lowshot=mean_std(
                    [r.get('lowshot_knn_top1') for r in chosen]),
                linear=mean_std([r['linear_top1'] for r in chosen]))
        tuned = defaultdict(list)
        for result in finetune:
            if result['method'] == method:
                tuned[result['labels']].append(result['top1'])
        method_runs = runs_by_method.get(method, [])
        summary.append(
            dict(
                method=method,
                label=method_rows[0].get('label', method),
                seeds=sorted({r['seed'] for r in method_rows}),
                features=features,
                finetune={
                    labels: mean_std(values)
                    for labels, values in sorted(tuned.items())
                },
                homo_acc=mean_std(
                    [r['final'].get('homo_acc') for r in method_runs]),
                loss_rec=mean_std(
                    [r['final'].get('loss_rec') for r in method_runs]),
                loss_hc=mean_std(
                    [r['final'].get('loss_hc') for r in method_runs]),
                loss=mean_std(
                    [r['final'].get('loss') for r in method_runs]),
                loss_orig=mean_std(
                    [r['final'].get('loss_orig') for r in method_runs]),
                loss_mix=mean_std(
                    [r['final'].get('loss_mix') for r in method_runs]),
                minutes=mean_std([r['minutes'] for r in method_runs])))
    return summary


def format_cell(pair: Optional[tuple], scale: float = 100., digits: int = 1
                ) -> str:
    """``mean ± std`` (or the single value, or ``–``)."""
    mean, std = pair if pair else (None, None)
    if mean is None:
        return '–'
    text = f'{mean * scale:.{digits}f}'
    if std is not None:
        text += f' ± {std * scale:.{digits}f}'
    return text


def write_table(summary: List[dict], path: str,
                header: str = '', family: str = 'mae',
                footer: str = '') -> str:
    """Write the Markdown table (after ``header``, and before ``footer``
    with an empty line between); returns its text.

    Accuracies are top-1 in % on the test images, mean ± sample standard
    deviation over seeds: fine-tuning on each number of labels, kNN (full
    bank), low-shot kNN (10 labels a class) and linear probe of the frozen
    encoder; ``homo_acc``, ``loss_hc`` and ``loss_rec`` are the last logged
    values (a 10-iteration window), minutes the wall time of one
    pre-training run.  ``family='siamese'``: the ConvNets have one feature
    (the pooled last stage), and the loss columns are the final
    ``loss_orig`` (the base method's loss; a plain MoCo v2 logs it as
    ``loss``) and MixMask's ``loss_mix``.
    """
    labels = sorted({n for r in summary for n in r.get('finetune', {})})
    if family == 'siamese':
        names = ['kNN', 'low-shot kNN', 'linear', 'final loss_orig',
                 'final loss_mix']
    else:
        names = [f'fine-tune {n} labels' for n in labels] + [
            'kNN cls', 'kNN mean', 'low-shot kNN mean', 'linear cls',
            'linear mean', 'final homo_acc', 'final loss_hc',
            'final loss_rec'
        ]
    names = ['method', 'seeds'] + names + ['min / run']
    lines = ['| ' + ' | '.join(names) + ' |', '|---' * len(names) + '|']
    for record in summary:
        feats = record['features']

        def acc(feature, kind):
            if feature in feats:
                return format_cell(feats[feature].get(kind))
            if 'pixels' in feats:
                return format_cell(feats['pixels'].get(kind))
            return '–'

        if family == 'siamese':
            orig = record.get('loss_orig')
            if not orig or orig[0] is None:
                orig = record.get('loss')
            cells = [
                acc('mean', 'knn'), acc('mean', 'lowshot'),
                acc('mean', 'linear'),
                format_cell(orig, 1., 3),
                format_cell(record.get('loss_mix'), 1., 3)
            ]
        else:
            tuned = record.get('finetune', {})
            cells = [format_cell(tuned.get(n)) for n in labels] + [
                acc('cls', 'knn'), acc('mean', 'knn'),
                acc('mean', 'lowshot'), acc('cls', 'linear'),
                acc('mean', 'linear'),
                format_cell(record['homo_acc'], 1., 3),
                format_cell(record.get('loss_hc'), 1., 3),
                format_cell(record['loss_rec'], 1., 3)
            ]
        lines.append('| ' + ' | '.join([
            record['label'], ', '.join(map(str, record['seeds'])), *cells,
            format_cell(record['minutes'], 1., 1)
        ]) + ' |')
    text = header + '\n'.join(lines) + '\n'
    if footer:
        text += '\n' + footer
    with open(path, 'w') as f:
        f.write(text)
    return text


def curves(runs: List[dict], key: str) -> Dict[str, list]:
    """Per method, the list of each seed's curve stored under ``key``."""
    out = defaultdict(list)
    for run in runs:
        if run.get(key):
            out[run['method']].append(run[key])
    return out


def _mean_curve(seed_curves: List[list]) -> tuple:
    """Steps and the mean over seeds of ``[step, value]`` curves (the steps
    every seed logged)."""
    steps = sorted(set.intersection(*[{p[0] for p in c}
                                      for c in seed_curves]))
    values = [
        sum(dict(map(tuple, c))[step] for c in seed_curves) / len(seed_curves)
        for step in steps
    ]
    return steps, values


def write_figure(runs: List[dict],
                 labels: Dict[str, str],
                 path: str,
                 homo_acc_chance: Optional[float] = None,
                 summary: Optional[List[dict]] = None,
                 homo_acc_oracle: Optional[dict] = None) -> str:
    """Four panels: (a) kNN top-1 of the per-epoch monitor against epochs
    for every method (mean of seeds; mean-pooled solid, cls dashed; epoch 0
    is the initialisation), (b) ``homo_acc`` and (c) ``loss_hc`` against
    iterations for the rows that log them (mean of seeds, thick; every
    seed, thin), (d) fine-tuning top-1 per method and number of labels
    (mean and std over seeds).

    Args:
        runs (list[dict]): Run records with ``knn_curve`` (list of
            ``dict(epoch, cls, mean)``), ``homo_acc_curve`` and
            ``loss_hc_curve`` (lists of ``[iter, value]``).
        labels (dict): Method -> label.
        path (str): PNG path.
        homo_acc_chance (float, optional): Chance level of ``homo_acc``,
            drawn as a dotted line.
        summary (list[dict], optional): :func:`summarise` records, for the
            fine-tuning panel.
        homo_acc_oracle (dict, optional): The appearance oracle
            (:mod:`.homologous_oracle`), drawn as dashed lines in (b).

    Returns:
        str: ``path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(14, 10))
    ax_knn, ax_homo, ax_hc, ax_ft = axes.flat
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    methods = list(dict.fromkeys(
        [r['method'] for r in runs] + [r['method'] for r in summary or []]))
    colour_of = {m: colours[i % len(colours)] for i, m in enumerate(methods)}
    knn = curves(runs, 'knn_curve')
    for method, seed_curves in knn.items():
        epochs = sorted({p['epoch'] for c in seed_curves for p in c})
        for feature, style in (('mean', '-'), ('cls', '--')):
            ys = []
            for epoch in epochs:
                values = [
                    p[feature] for c in seed_curves for p in c
                    if p['epoch'] == epoch and p.get(feature) is not None
                ]
                ys.append(sum(values) / len(values) if values else math.nan)
            ax_knn.plot(
                epochs, [100 * y for y in ys],
                style,
                color=colour_of[method],
                marker='o',
                markersize=3,
                label=labels.get(method, method) if feature == 'mean' else
                None)
    ax_knn.set_xlabel('epoch (0: initialisation, the same for every row)')
    ax_knn.set_ylabel('kNN top-1 (%) of the monitor subset')
    ax_knn.set_title('(a) kNN during pre-training, mean of seeds\n'
                     '(solid: mean-pooled tokens, dashed: cls token)')

    for ax, key, name in ((ax_homo, 'homo_acc_curve', 'homo_acc'),
                          (ax_hc, 'loss_hc_curve', 'loss_hc (logged, x λ)')):
        for method, seed_curves in curves(runs, key).items():
            for curve in seed_curves:
                ax.plot([p[0] for p in curve], [p[1] for p in curve],
                        color=colour_of[method], alpha=.35, linewidth=.7)
            steps, values = _mean_curve(seed_curves)
            ax.plot(steps, values, color=colour_of[method], linewidth=2,
                    marker='o' if len(steps) < 3 else None,
                    label=f'{labels.get(method, method)} '
                    f'({len(seed_curves)} seeds)')
        ax.set_xlabel('iteration')
        ax.set_ylabel(name)
    if homo_acc_chance is not None:
        ax_homo.axhline(
            homo_acc_chance, color='grey', linestyle=':',
            label=f'chance ({homo_acc_chance:.3f})')
    for key, name, style in (('pixels', 'raw-pixel', '--'),
                             ('mean_std', 'mean/std', '-.')):
        if homo_acc_oracle and homo_acc_oracle.get(key) is not None:
            ax_homo.axhline(
                homo_acc_oracle[key], color='grey', linestyle=style,
                label=f'{name} appearance oracle '
                f'({homo_acc_oracle[key]:.3f})')
    ax_homo.set_title('(b) homologous recognition accuracy\n'
                      '(share of TopK-kept keys of the query\'s own image)')
    ax_hc.set_title('(c) homologous contrastive loss')

    tuned = [r for r in summary or [] if r.get('finetune')]
    counts = sorted({n for r in tuned for n in r['finetune']})
    width = .8 / max(1, len(counts))
    for k, count in enumerate(counts):
        xs, means, stds = [], [], []
        for i, record in enumerate(tuned):
            mean, std = record['finetune'].get(count, (None, None))
            if mean is not None:
                xs.append(i + (k - (len(counts) - 1) / 2) * width)
                means.append(100 * mean)
                stds.append(100 * (std or 0))
        ax_ft.bar(xs, means, width, yerr=stds, capsize=3,
                  label=f'{count} labels')
    ax_ft.set_xticks(range(len(tuned)))
    ax_ft.set_xticklabels([labels.get(r['method'], r['method'])
                           for r in tuned], rotation=20, ha='right',
                          fontsize=7)
    if tuned:
        low = min(100 * m for r in tuned for m, _ in r['finetune'].values())
        ax_ft.set_ylim(max(0, low - 10), None)
    ax_ft.set_ylabel('test top-1 (%)')
    ax_ft.set_title('(d) fine-tuned end to end (mean ± std over seeds)')
    for ax in axes.flat:
        if ax.has_data():
            ax.legend(fontsize=7)
        else:
            ax.text(.5, .5, 'not logged by these rows', ha='center',
                    transform=ax.transAxes)
        ax.grid(alpha=.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
