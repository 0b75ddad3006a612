"""The Siamese family's collapse report: curves read from a run's
scalars.json, the summary over seeds, its table and the figure."""
import json
import math

import pytest

from mixedae_mm.proxy.siamese_report import (collapse_curves,
                                             collapse_summary, collapse_table,
                                             write_siamese_figure)


def _run(tmp_path, method, seed, emb_std, view_cos, knn=(0.7, 0.72)):
    """A run dir as the Runner leaves it: one JSON record per line, the
    training records every 10 iterations, the kNN monitor per epoch."""
    work = tmp_path / f'{method}_seed{seed}'
    (work / '20260101_000000' / 'vis_data').mkdir(parents=True)
    lines = [dict(epoch=0, step=0, **{'knn/mean_top1': knn[0]})]
    for i, (s, c) in enumerate(zip(emb_std, view_cos), 1):
        lines.append(dict(loss=1.0, emb_std=s, view_cos=c, step=10 * i))
    lines.append(dict(epoch=1, step=10 * len(emb_std),
                      **{'knn/mean_top1': knn[1]}))
    path = work / '20260101_000000' / 'vis_data' / 'scalars.json'
    path.write_text('\n'.join(json.dumps(r) for r in lines) + '\n')
    curve = [dict(epoch=e, mean=v) for e, v in enumerate(knn)]
    return dict(method=method, seed=seed, work_dir=str(work),
                knn_curve=curve)


def test_curves_take_the_logged_signals_only():
    records = [
        dict(loss=2., emb_std=.01, view_cos=.5, step=10),
        dict(epoch=1, step=20, **{'knn/mean_top1': .7}),
        dict(loss=1., emb_std=.02, view_cos=.6, step=30),
    ]
    assert collapse_curves(records) == dict(
        emb_std=[[10, .01], [30, .02]], view_cos=[[10, .5], [30, .6]])
    assert collapse_curves([dict(loss=1., step=10)]) == dict(
        emb_std=[], view_cos=[])


def test_summary_over_seeds_final_and_lowest(tmp_path):
    runs = [
        _run(tmp_path, 'a', 0, [.05, .001, .03], [.9, .99, .8]),
        _run(tmp_path, 'a', 1, [.04, .02, .05], [.7, .6, .6]),
        _run(tmp_path, 'b', 0, [.08, .09], [.1, .2]),
    ]
    summary = collapse_summary(runs)
    a, b = summary['a'], summary['b']
    assert a['seeds'] == [0, 1]
    assert a['emb_std_final'][0] == pytest.approx(.04)
    assert a['emb_std_final'][1] == pytest.approx(math.sqrt(2) * .01)
    assert a['emb_std_min'][0] == pytest.approx((.001 + .02) / 2)
    assert a['view_cos_final'][0] == pytest.approx(.7)
    assert b['emb_std_final'] == (pytest.approx(.09), None)
    table = collapse_table(summary, dict(a='Row A'), dim=64)
    assert '1/√64 = 0.125' in table
    assert '| Row A | 0, 1 | 0.0400 ± 0.0141 | 0.0105 ± 0.0134 |' in table
    assert '| b | 0 | 0.0900 |' in table


def test_a_run_without_signals_is_left_out(tmp_path):
    run = _run(tmp_path, 'a', 0, [], [])
    assert collapse_summary([run]) == {}


def test_figure_is_written(tmp_path):
    runs = [
        _run(tmp_path, 'a', 0, [.05, .06], [.9, .8]),
        _run(tmp_path, 'a', 1, [.04, .05], [.7, .6], knn=(.7, .74)),
    ]
    path = write_siamese_figure(runs, dict(a='Row A'),
                                str(tmp_path / 'figure.png'), floor_knn=.75)
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
