"""The pinned stack is installed, mmcv's CPU ops work, and importing
mixedae_mm registers into MMPretrain."""
import importlib.metadata as md
import os.path as osp
import subprocess
import sys

import pytest
import torch

from conftest import ROOT


def _pins():
    pins = {}
    for line in open(osp.join(ROOT, 'requirements', 'constraints.txt')):
        line = line.split('#')[0].strip()
        if '==' in line:
            name, version = line.split('==')
            pins[name] = version
    return pins


@pytest.mark.parametrize('name,version', sorted(_pins().items()))
def test_pinned_version_installed(name, version):
    assert md.version(name) == version


def test_numpy_below_2():
    import numpy
    assert int(numpy.__version__.split('.')[0]) < 2


def test_mmcv_nms_hand_checked():
    from mmcv.ops import nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                          [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    # IoU(box0, box1) = 81 / 119 = 0.68 > 0.5: box1 is suppressed
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    assert torch.allclose(dets[:, 4], torch.tensor([0.9, 0.7]))
    # at a threshold above 0.68 all boxes stay
    _, keep = nms(boxes, scores, iou_threshold=0.7)
    assert keep.tolist() == [0, 1, 2]


def test_mmcv_roi_align_hand_checked():
    from mmcv.ops import RoIAlign
    # f(y, x) = 4y + x is linear, so bilinear samples are exact and each bin
    # averages to f at its centre (pixel centres at index + 0.5, aligned)
    feat = torch.arange(16.).view(1, 1, 4, 4)
    rois = torch.tensor([[0., 0., 0., 4., 4.]])
    out = RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2,
                   aligned=True)(feat, rois)
    assert torch.allclose(out[0, 0], torch.tensor([[2.5, 4.5], [10.5, 12.5]]))
    out = RoIAlign((1, 1), 1.0, 2, aligned=True)(feat, rois)
    assert out.item() == pytest.approx(7.5)


def test_import_registers_into_mmpretrain():
    import mixedae_mm  # noqa: F401
    from mmpretrain.registry import MODELS
    for name in ('MixedAE', 'MixedAEViT', 'MixedAEPretrainDecoder',
                 'MixedAEPretrainHead', 'HomologousContrastiveLoss'):
        assert MODELS.get(name) is not None, name


def test_custom_imports_in_a_config(tmp_path):
    """In a fresh interpreter, only the config's custom_imports registers
    the classes (nothing imports mixedae_mm beforehand)."""
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(
        "custom_imports = dict(imports=['mixedae_mm'])\n"
        "model = dict(type='HomologousContrastiveLoss', temperature=0.5)\n")
    code = (
        'import sys\n'
        'from mmengine.config import Config\n'
        'from mmpretrain.registry import MODELS\n'
        "assert 'mixedae_mm' not in sys.modules\n"
        f'cfg = Config.fromfile({str(cfg_file)!r})\n'
        'loss = MODELS.build(cfg.model)\n'
        'print(type(loss).__name__, loss.temperature)\n')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['HomologousContrastiveLoss', '0.5']
