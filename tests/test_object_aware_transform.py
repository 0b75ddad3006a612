"""IoUBoundedMultiViewCrop: MixedAE-Full's overlapping views."""
import logging
from itertools import combinations

import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS

from mixedae_mm.datasets import IoUBoundedMultiViewCrop, box_iou

#: (height, width): tiny, very elongated both ways, odd and ordinary
ODD_SIZES = [(1, 1), (2, 3), (5, 300), (300, 5), (3, 1000), (1000, 3),
             (17, 23), (641, 97), (480, 640)]


def _iou(a, b) -> float:
    """Hand-written IoU of two (x1, y1, x2, y2) boxes, ends exclusive."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(iw, 0) * max(ih, 0)
    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


class _LogRecords(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_logged():
    logger = MMLogger.get_current_instance()
    handler = _LogRecords()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def _disjoint_boxes(monkeypatch, transform):
    """Make every draw after the first miss the first box completely, so
    that the IoU bound is unreachable; returns the list of draws."""
    draws = []

    def rand_crop_params(img):
        draws.append(1)
        # (top, left, height, width)
        return (0, 0, 10, 10) if len(draws) == 1 else (20, 20, 10, 10)

    monkeypatch.setattr(transform, 'rand_crop_params', rand_crop_params)
    return draws


def test_box_iou_hand_checked():
    box = np.array([0, 0, 4, 4])
    boxes = np.array([[2, 2, 6, 6], [0, 0, 4, 4], [4, 0, 8, 4], [1, 1, 3, 3]])
    np.testing.assert_allclose(
        box_iou(box, boxes), [4 / 28, 1, 0, 4 / 16], rtol=1e-12)


@pytest.mark.parametrize('num_views,min_iou', [(2, 0.5), (4, 0.5), (4, 0.8)])
def test_views_meet_the_iou_bound_on_odd_sizes(num_views, min_iou):
    np.random.seed(0)
    rng = np.random.default_rng(0)
    sizes = ODD_SIZES + [tuple(rng.integers(1, 400, 2)) for _ in range(40)]
    transform = IoUBoundedMultiViewCrop(
        scale=8, num_views=num_views, min_iou=min_iou)
    for h, w in sizes:
        img = np.zeros((h, w, 3), np.uint8)
        for _ in range(5):
            out = transform(dict(img=img))
            boxes = out['view_boxes']
            assert boxes.shape == (num_views, 4)
            assert len(out['img']) == num_views
            assert all(view.shape == (8, 8, 3) for view in out['img'])
            assert (boxes[:, :2] >= 0).all(), (h, w, boxes)
            assert (boxes[:, 2] <= w).all() and (boxes[:, 3] <= h).all()
            assert (boxes[:, 2:] > boxes[:, :2]).all(), (h, w, boxes)
            for a, b in combinations(boxes, 2):
                assert _iou(a, b) >= min_iou, (h, w, boxes)


def test_boxes_are_random_resized_crops_and_mostly_distinct():
    np.random.seed(1)
    transform = IoUBoundedMultiViewCrop(scale=8, num_views=4)
    img = np.zeros((480, 640, 3), np.uint8)
    distinct, fallbacks = 0, 0
    for _ in range(100):
        out = transform(dict(img=img))
        boxes = out['view_boxes']
        wh = boxes[:, 2:] - boxes[:, :2]
        area = wh.prod(1) / (480 * 640)
        ratio = wh[:, 0] / wh[:, 1]
        assert ((area > 0.19) & (area <= 1)).all(), area
        assert ((ratio > 0.74) & (ratio < 1.35)).all(), ratio
        distinct += len(np.unique(boxes, axis=0)) == 4
        fallbacks += out['view_fallbacks']
    # the bound constrains the views, it does not collapse them
    assert distinct >= 95 and fallbacks <= 5, (distinct, fallbacks)


def test_unreachable_bound_falls_back_to_view_0_and_logs(
        monkeypatch, warnings_logged):
    transform = IoUBoundedMultiViewCrop(
        scale=8, num_views=3, min_iou=0.5, max_resamples=7)
    draws = _disjoint_boxes(monkeypatch, transform)
    out = transform(
        dict(img=np.zeros((40, 40, 3), np.uint8), img_path='x/a.png'))
    assert len(draws) == 1 + 2 * 7  # bounded: no infinite loop
    np.testing.assert_array_equal(out['view_boxes'], [[0, 0, 10, 10]] * 3)
    assert out['view_fallbacks'] == 2
    assert len(warnings_logged) == 1
    message = warnings_logged[0]
    assert 'x/a.png' in message and "reuse view 0's box" in message
    assert '2 of 3 views' in message and 'IoU >= 0.5' in message


def test_fallback_log_is_rate_limited(monkeypatch, warnings_logged):
    transform = IoUBoundedMultiViewCrop(scale=8, num_views=2,
                                        max_resamples=1)
    for _ in range(25):
        _disjoint_boxes(monkeypatch, transform)
        transform(dict(img=np.zeros((40, 40, 3), np.uint8)))
    assert len(warnings_logged) == 2  # the 1st and the 10th image
    assert '10 image(s) needed this fallback' in warnings_logged[1]


def test_each_view_is_flipped_independently(monkeypatch):
    init_default_scope('mmpretrain')
    transform = TRANSFORMS.build(
        dict(
            type='IoUBoundedMultiViewCrop',
            scale=8,
            num_views=4,
            view_pipeline=[dict(type='RandomFlip', prob=0.5)]))
    monkeypatch.setattr(transform, 'rand_crop_params',
                        lambda img: (0, 0, 8, 8))  # the whole image
    img = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
    np.random.seed(0)
    mixed_samples = 0
    for _ in range(10):
        views = transform(dict(img=img))['img']
        flipped = []
        for view in views:
            assert (np.array_equal(view, img)
                    or np.array_equal(view, img[:, ::-1]))
            flipped.append(np.array_equal(view, img[:, ::-1]))
        mixed_samples += 0 < sum(flipped) < 4
    assert mixed_samples >= 5


@pytest.mark.parametrize('kwargs,match', [
    (dict(num_views=0), 'num_views'),
    (dict(min_iou=1.5), 'min_iou'),
    (dict(max_resamples=0), 'max_resamples'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        IoUBoundedMultiViewCrop(scale=8, **kwargs)
