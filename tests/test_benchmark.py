"""tools/benchmark.py: MixedAE against MMPretrain's MAE, MixMask-MoCo v2
against MMPretrain's MoCo v2."""
import json
import re
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from mixedae_mm.benchmark import (TensorMemoryPeak, explained_overhead_ms,
                                  mixmask_model_configs, model_configs,
                                  predicted_step_time_ratio)
from mixedae_mm.tools import benchmark


def test_both_models_share_everything_but_the_method():
    mixedae, mae = model_configs('small')
    assert (mixedae.type, mae.type) == ('MixedAE', 'MAE')
    assert mixedae.backbone.arch == mae.backbone.arch == 'deit-s'
    for key in ('img_size', 'patch_size'):
        assert mixedae.backbone[key] == mae.backbone[key]
    assert mae.backbone.mask_ratio == 1 - mixedae.backbone.mixing_ratio
    assert mae.neck.type == 'MAEPretrainDecoder'
    for key in ('embed_dim', 'num_patches', 'decoder_embed_dim',
                'decoder_depth', 'decoder_num_heads', 'patch_size'):
        assert mixedae.neck[key] == mae.neck[key], key
    assert (mae.neck.embed_dim, mae.neck.decoder_embed_dim,
            mae.neck.decoder_depth) == (384, 512, 8)


def test_tiny_is_the_demo_model_at_the_chosen_size():
    mixedae, mae = model_configs('tiny', img_size=32)
    assert mae.backbone.arch['embed_dims'] == 192
    assert mae.backbone.img_size == mixedae.backbone.img_size == 32
    assert mae.neck.num_patches == mixedae.neck.num_patches == (32 // 8)**2
    assert mae.neck.decoder_embed_dim == 128


def test_image_size_off_the_patch_grid_is_rejected():
    with pytest.raises(ValueError, match='not a multiple of the patch size'):
        model_configs('small', img_size=100)


def test_tensor_memory_peak_counts_live_storage_once():
    before = torch.zeros(1000)  # 4000 bytes alive from the start
    tracker = TensorMemoryPeak([before, before[:10]])
    with tracker:
        a = torch.ones(2000)  # 12000
        view = a[:100]  # a view: no new storage
        b = a * 2  # 20000: the peak
        del a, b, view
        c = torch.ones(500)  # 4000 + 2000
    assert tracker.peak == 20000
    assert tracker.current == 6000
    del c


def test_overhead_is_split_into_its_causes():
    def part(ms, per_step):
        return dict(median_ms=ms, per_step=per_step, what='')

    overhead = explained_overhead_ms({
        'attention_mae': part(2., 12),
        'attention_plain_mixed': part(3., 12),
        'attention_homologous': part(5., 10),  # 10 of 12 layers
        'contrastive_loss': part(4., 1),
        'gathers_mixedae': part(1., 1),
        'gathers_mae': part(1.5, 1),
        'threshold_topk': part(9., 10),  # inside the attention: not added
    })
    assert overhead == dict(
        longer_sequences=12., topk_attention=20., contrastive_loss=4.,
        gathers=-0.5, total=35.5)


def test_batch_that_cannot_be_mixed_is_rejected(tmp_path):
    with pytest.raises(ValueError, match='not divisible by 1/r = 4'):
        benchmark.main([
            '--arch', 'tiny', '--img-size', '32', '--batch', '6',
            '--out', str(tmp_path / 'x.json')
        ])


@pytest.mark.slow
def test_tiny_run_prints_the_ratio_last_and_writes_the_json(
        tmp_path, image_root):
    out = tmp_path / 'bench.json'
    proc = subprocess.run(
        [sys.executable, 'tools/benchmark.py', '--arch', 'tiny', '--iters',
         '2', '--warmup', '1', '--batch', '8', '--img-size', '32',
         '--threads', '1', '--breakdown', '--loader-batches', '2',
         '--workers', '0', '--data-root', image_root, '--out', str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r'mixedae/mae step-time ratio: (\d+\.\d{3})', last)
    assert match, last

    report = json.loads(out.read_text())
    assert {'args', 'versions', 'machine', 'models', 'results',
            'step_time_ratio', 'step_cpu_time_ratio', 'peak_memory_ratio',
            'breakdown',
            'explained_overhead_ms', 'measured_overhead_ms',
            'data_loader'} <= set(report)
    assert float(match.group(1)) == pytest.approx(
        report['step_time_ratio'], abs=5e-4)
    for package in ('torch', 'mmengine', 'mmcv', 'mmpretrain', 'mmseg',
                    'mmdet', 'mixedae_mm'):
        assert report['versions'][package]
    assert report['machine']['torch_threads'] == 1
    for name in ('mixedae', 'mae'):
        result = report['results'][name]
        assert len(result['step_times_s']) == 2
        assert len(result['step_cpu_times_s']) == 2
        assert result['median_step_s'] > 0
        assert result['images_per_s'] == pytest.approx(
            8 / result['median_step_s'])
        assert result['peak_memory_bytes'] > 0
    assert report['models']['mae']['backbone']['mask_ratio'] == 0.75
    for part in ('attention_mae', 'attention_homologous',
                 'attention_plain_mixed', 'contrastive_loss',
                 'gathers_mixedae', 'gathers_mae', 'threshold_topk',
                 'threshold_kthvalue'):
        assert report['breakdown'][part]['median_ms'] > 0, part
    loader = report['data_loader']
    assert loader['images_per_s'] > 0 and loader['num_workers'] == 0


def test_mixmask_pair_shares_everything_but_the_method():
    mixmask, mocov2 = mixmask_model_configs()
    assert (mixmask.type, mocov2.type) == ('MixMaskMoCo', 'MoCo')
    assert mocov2.backbone.depth == 50
    for key in ('backbone', 'neck', 'head', 'queue_len', 'feat_dim',
                'momentum'):
        assert mixmask[key] == mocov2[key], key
    assert (mocov2.neck.in_channels, mocov2.queue_len,
            mocov2.head.temperature) == (2048, 65536, 0.2)
    assert mixmask.mask_cfg.grid_size == 8  # the paper's grid at 224 px


def test_mixmask_pair_of_a_smaller_resnet():
    mixmask, mocov2 = mixmask_model_configs(depth=18, base_channels=8,
                                            grid_size=4)
    for cfg in (mixmask, mocov2):
        assert cfg.backbone.depth == 18
        assert cfg.backbone.base_channels == cfg.backbone.stem_channels == 8
        assert cfg.neck.in_channels == cfg.neck.hid_channels == 64
    assert mixmask.mask_cfg.grid_size == 4
    with pytest.raises(ValueError, match='ResNet depth must be one of'):
        mixmask_model_configs(depth=20)


def test_mixmask_ratio_predicted_from_its_parts():
    # online fwd+bwd = 3 forwards, momentum = 1: MoCo 4, MixMask 7 (+ mix)
    parts = dict(online_fwd_bwd=dict(median_ms=30.), momentum_fwd=dict(
        median_ms=10.), mix=dict(median_ms=2.))
    assert predicted_step_time_ratio(parts) == pytest.approx(72. / 40.)


@pytest.mark.parametrize('batch,match', [(5, 'must be even'),
                                         (1, 'must be even'),
                                         (6, 'multiple of the batch')])
def test_mixmask_batch_that_cannot_be_paired_is_rejected(
        tmp_path, batch, match):
    with pytest.raises(ValueError, match=match):
        benchmark.main([
            '--pair', 'mixmask', '--depth', '18', '--width', '8',
            '--img-size', '32', '--batch', str(batch),
            '--out', str(tmp_path / 'x.json')
        ])


@pytest.mark.slow
def test_tiny_mixmask_run_prints_its_ratio_last(tmp_path):
    out = tmp_path / 'bench.json'
    proc = subprocess.run(
        [sys.executable, 'tools/benchmark.py', '--pair', 'mixmask',
         '--depth', '18', '--width', '8', '--img-size', '32', '--grid-size',
         '4', '--batch', '4', '--iters', '2', '--warmup', '1', '--threads',
         '1', '--breakdown', '--out', str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    match = re.fullmatch(
        r'mixmask-mocov2/mocov2 step-time ratio: (\d+\.\d{3})', lines[-1])
    assert match, lines[-1]
    assert not any(line.startswith('mixedae/mae') for line in lines)
    assert any(line.startswith('mixmask-mocov2 ') for line in lines)

    report = json.loads(out.read_text())
    assert float(match.group(1)) == pytest.approx(
        report['step_time_ratio'], abs=5e-4)
    assert report['models']['mixmask-mocov2']['type'] == 'MixMaskMoCo'
    assert report['models']['mocov2']['type'] == 'MoCo'
    # both models were built, and mixing adds no parameter
    params = report['params']
    assert params['mixmask-mocov2'] == params['mocov2'] > 0
    for name in ('mixmask-mocov2', 'mocov2'):
        result = report['results'][name]
        assert len(result['step_times_s']) == 2
        assert result['images_per_s'] == pytest.approx(
            4 / result['median_step_s'])
        assert result['peak_memory_bytes'] > 0
    # the mixed view's extra forward/backward costs memory
    assert report['peak_memory_ratio'] > 1
    parts = {
        part: report['breakdown'][part]['median_ms']
        for part in ('mix', 'online_fwd_bwd', 'momentum_fwd')
    }
    assert all(ms > 0 for ms in parts.values()), parts
    # the printed and stored prediction is the formula on the stored parts
    online, momentum = parts['online_fwd_bwd'], parts['momentum_fwd']
    assert report['predicted_step_time_ratio'] == pytest.approx(
        (2 * online + momentum + parts['mix']) / (online + momentum))
