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


def summarise(rows: List[dict], runs: List[dict],
              order: Sequence[str]) -> List[dict]:
    """One record per method: accuracies of every feature over seeds, and
    the runs' final ``homo_acc`` / ``loss_rec`` (MixMask: ``loss`` /
    ``loss_orig`` / ``loss_mix``) and minutes.

    Args:
        rows (list[dict]): ``results.json`` rows (method, seed, feature,
            knn_top1, linear_top1).
        runs (list[dict]): One record per pre-training run (method, seed,
            minutes, final dict).
        order (Sequence[str]): Methods in table order.

    Returns:
        list[dict]: ``method``, ``label``, ``seeds``, ``features`` (feature
        -> knn/linear mean and std), ``homo_acc``, ``loss_rec``, ``loss``,
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
                linear=mean_std([r['linear_top1'] for r in chosen]))
        method_runs = runs_by_method.get(method, [])
        summary.append(
            dict(
                method=method,
                label=method_rows[0].get('label', method),
                seeds=sorted({r['seed'] for r in method_rows}),
                features=features,
                homo_acc=mean_std(
                    [r['final'].get('homo_acc') for r in method_runs]),
                loss_rec=mean_std(
                    [r['final'].get('loss_rec') for r in method_runs]),
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
                header: str = '', family: str = 'mae') -> str:
    """Write the Markdown table; returns its text.

    Accuracies are top-1 in % on the 10,000 test images, mean ± sample
    standard deviation over seeds; ``homo_acc`` and ``loss_rec`` are the
    last logged values (a 10-iteration window), minutes are the wall time
    of one pre-training run.  ``family='siamese'``: the ConvNets have one
    feature (the pooled last stage), and the loss columns are the final
    ``loss_orig`` (the base method's loss; a plain MoCo v2 logs it as
    ``loss``) and MixMask's ``loss_mix``.
    """
    if family == 'siamese':
        lines = [
            '| method | seeds | kNN | linear | final loss_orig | '
            'final loss_mix | min / run |',
            '|---|---|---|---|---|---|---|',
        ]
    else:
        lines = [
            '| method | seeds | kNN cls | kNN mean | linear cls | '
            'linear mean | final homo_acc | final loss_rec | min / run |',
            '|---|---|---|---|---|---|---|---|---|',
        ]
    for record in summary:
        feats = record['features']

        def acc(feature, kind):
            if feature in feats:
                return format_cell(feats[feature][kind])
            if 'pixels' in feats:
                return format_cell(feats['pixels'][kind])
            return '–'

        if family == 'siamese':
            orig = record.get('loss_orig')
            if not orig or orig[0] is None:
                orig = record.get('loss')
            cells = [
                acc('mean', 'knn'), acc('mean', 'linear'),
                format_cell(orig, 1., 3),
                format_cell(record.get('loss_mix'), 1., 3)
            ]
        else:
            cells = [
                acc('cls', 'knn'), acc('mean', 'knn'), acc('cls', 'linear'),
                acc('mean', 'linear'),
                format_cell(record['homo_acc'], 1., 3),
                format_cell(record['loss_rec'], 1., 3)
            ]
        lines.append('| ' + ' | '.join([
            record['label'], ', '.join(map(str, record['seeds'])), *cells,
            format_cell(record['minutes'], 1., 1)
        ]) + ' |')
    text = header + '\n'.join(lines) + '\n'
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


def write_figure(runs: List[dict],
                 labels: Dict[str, str],
                 path: str,
                 homo_acc_chance: Optional[float] = None) -> str:
    """kNN top-1 of the per-epoch monitor against epochs for every method
    (mean of seeds; mean-pooled solid, cls dashed; epoch 0 is the random
    initialisation) and ``homo_acc`` against iterations for the rows that
    log it (every seed).

    Args:
        runs (list[dict]): Run records with ``knn_curve`` (list of
            ``dict(epoch, cls, mean)``) and ``homo_acc_curve`` (list of
            ``[iter, value]``).
        labels (dict): Method -> label.
        path (str): PNG path.
        homo_acc_chance (float, optional): Chance level of ``homo_acc``,
            drawn as a dotted line.

    Returns:
        str: ``path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, (ax_knn, ax_homo) = plt.subplots(1, 2, figsize=(13, 5))
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    knn = curves(runs, 'knn_curve')
    colour_of = {m: colours[i % len(colours)] for i, m in enumerate(knn)}
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
    ax_knn.set_xlabel('epoch (0: random initialisation)')
    ax_knn.set_ylabel('kNN top-1 (%) of the monitor subset')
    ax_knn.set_title('kNN during pre-training, mean of seeds\n'
                     '(solid: mean-pooled tokens, dashed: cls token)')
    ax_knn.legend(fontsize=7)
    ax_knn.grid(alpha=.3)

    homo = curves(runs, 'homo_acc_curve')
    for method, seed_curves in homo.items():
        for k, curve in enumerate(seed_curves):
            ax_homo.plot([p[0] for p in curve], [p[1] for p in curve],
                         color=colour_of.get(method, 'k'),
                         alpha=.8,
                         linewidth=1,
                         marker='.' if len(curve) < 3 else None,
                         label=labels.get(method, method) if k == 0 else None)
    if homo_acc_chance is not None:
        ax_homo.axhline(
            homo_acc_chance, color='grey', linestyle=':',
            label=f'chance ({homo_acc_chance:.3f})')
    ax_homo.set_xlabel('iteration')
    ax_homo.set_ylabel('homo_acc')
    ax_homo.set_title('homologous recognition accuracy (every seed)')
    ax_homo.legend(fontsize=7)
    ax_homo.grid(alpha=.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
