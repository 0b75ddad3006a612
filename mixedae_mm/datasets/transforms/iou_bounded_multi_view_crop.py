"""Random-resized-crop views of one image that share its centric object."""
import logging
from typing import Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import Compose
from mmengine.logging import print_log
from mmpretrain.datasets.transforms import RandomResizedCrop
from mmpretrain.registry import TRANSFORMS

__all__ = ['IoUBoundedMultiViewCrop', 'box_iou']


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box with each of several boxes.

    Args:
        box (np.ndarray): ``(4, )`` box ``(x1, y1, x2, y2)`` in pixels,
            ``x2`` and ``y2`` exclusive (so its area is ``(x2 - x1) *
            (y2 - y1)``).
        boxes (np.ndarray): ``(K, 4)`` boxes in the same format.

    Returns:
        np.ndarray: ``(K, )`` float64 IoUs in ``[0, 1]``.
    """
    box = np.asarray(box, dtype=np.float64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(box[:2], boxes[:, :2])
    bottom_right = np.minimum(box[2:], boxes[:, 2:])
    inter = np.clip(bottom_right - top_left, 0, None).prod(axis=1)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / (area + areas - inter)


def _is_power_of_ten(count: int) -> bool:
    while count % 10 == 0:
        count //= 10
    return count == 1


@TRANSFORMS.register_module()
class IoUBoundedMultiViewCrop(RandomResizedCrop):
    """Draw ``V`` random-resized-crop views of an image whose boxes overlap
    pairwise by at least ``min_iou`` (MixedAE-Full's object-aware views).

    MixedAE-Full makes homologous recognition object-aware with MultiSiam's
    "single-centric-object guarantee" (Chen et al., ICCV 2021): crops whose
    boxes overlap enough (IoU above a threshold) are taken to show the same
    single object.  The paper gives the idea, not the procedure; this
    transform is our reading of it:

    1. view 0's box is drawn exactly as mmpretrain's
       :class:`RandomResizedCrop` draws one (its ``crop_ratio_range``,
       ``aspect_ratio_range``, ``max_attempts`` and centre-crop fallback);
    2. every further view draws such boxes until one has IoU
       ``>= min_iou`` with *every* box accepted so far, at most
       ``max_resamples`` times (rejection sampling: each view is a
       RandomResizedCrop box conditioned on the bound with the views
       before it);
    3. fallback, when no draw met the bound: the view reuses view 0's box.
       The bound then still holds for every pair (it holds between view 0
       and every accepted box, and identical boxes have IoU 1), the loop is
       bounded by ``1 + (V - 1) * max_resamples`` draws, and the event is
       counted in ``view_fallbacks`` and logged (at the 1st, 10th, 100th,
       ... image of a process that needed it, so a long run is not
       flooded).  On images where RandomResizedCrop finds no random box
       (e.g. 5 x 300 pixels) every view is its centre crop (IoU 1, no
       fallback).

    Each box is cropped and resized to ``scale``, then ``view_pipeline``
    (e.g. a ``RandomFlip``) runs on every view independently;
    normalisation is the data preprocessor's, per view.

    **Required Keys:**

    - img

    **Modified Keys:**

    - img: a list of the ``V`` views, in view order; ``PackInputs`` turns
      it into a list of tensors and ``default_collate`` into a list of
      ``V`` batches ``(B, C, H, W)``: the view index is the position in
      that list, the image index the position in the batch.
    - img_shape: the shape of one view.

    **Added Keys:**

    - view_boxes (np.ndarray): ``(V, 4)`` int boxes ``(x1, y1, x2, y2)``
      (``x2``, ``y2`` exclusive) in the pixels of the input image.
    - view_fallbacks (int): how many views took the fallback.

    Args:
        scale (Sequence | int): Output size of every view, as in
            ``RandomResizedCrop``.
        num_views (int): ``V``, the views per image. Defaults to 4.
        min_iou (float): The pairwise IoU bound, in ``[0, 1]``.
            Defaults to 0.5 [our choice: the MixedAE sources give no
            value; 0.5 is MultiSiam's as we recall it].
        max_resamples (int): Boxes drawn for a view before it falls back to
            view 0's box. Defaults to 100: with ``min_iou=0.5`` and
            MixedAE's crop range on a 4:3 image, about 0.1% (``V = 2``)
            and 0.25% (``V = 4``) of the views fall back.
        view_pipeline (Sequence[dict]): Transforms applied to each view
            after its crop, e.g. ``[dict(type='RandomFlip', prob=0.5)]``.
            Defaults to none.
        crop_ratio_range (tuple): Range of the crop area relative to the
            image. Defaults to ``(0.2, 1.0)``, MAE's and MixedAE's.
        **kwargs: ``aspect_ratio_range``, ``max_attempts``,
            ``interpolation``, ``backend`` of ``RandomResizedCrop``.
    """

    def __init__(self,
                 scale: Union[Sequence[int], int],
                 num_views: int = 4,
                 min_iou: float = 0.5,
                 max_resamples: int = 100,
                 view_pipeline: Sequence[dict] = (),
                 crop_ratio_range: Tuple[float, float] = (0.2, 1.0),
                 **kwargs) -> None:
        super().__init__(
            scale=scale, crop_ratio_range=crop_ratio_range, **kwargs)
        if not isinstance(num_views, int) or num_views < 1:
            raise ValueError(
                f'num_views must be an int >= 1, got {num_views!r}; '
                'MixedAE-Full uses 4, MixedAE-Full* 2.')
        if not 0 <= min_iou <= 1:
            raise ValueError(
                f'min_iou must be in [0, 1] (an IoU), got {min_iou}; '
                'the default is 0.5.')
        if not isinstance(max_resamples, int) or max_resamples < 1:
            raise ValueError(
                f'max_resamples must be an int >= 1, got {max_resamples!r}; '
                'it bounds the boxes drawn per view before the fallback.')
        self.num_views = num_views
        self.min_iou = min_iou
        self.max_resamples = max_resamples
        self.view_pipeline = Compose(list(view_pipeline))
        self._num_fallback_images = 0

    def random_box(self, img: np.ndarray) -> np.ndarray:
        """One box drawn as ``RandomResizedCrop`` draws it.

        Returns:
            np.ndarray: ``(4, )`` int box ``(x1, y1, x2, y2)``.
        """
        top, left, height, width = self.rand_crop_params(img)
        return np.array([left, top, left + width, top + height])

    def sample_boxes(self, img: np.ndarray) -> Tuple[np.ndarray, int]:
        """Draw the ``V`` boxes (see the class docstring).

        Args:
            img (np.ndarray): The image ``(H, W, C)``; only its size is used.

        Returns:
            tuple[np.ndarray, int]: The boxes ``(V, 4)`` and how many views
            took the fallback.
        """
        boxes = [self.random_box(img)]
        num_fallbacks = 0
        for _ in range(1, self.num_views):
            for _ in range(self.max_resamples):
                candidate = self.random_box(img)
                if box_iou(candidate, np.stack(boxes)).min() >= self.min_iou:
                    break
            else:
                candidate = boxes[0]
                num_fallbacks += 1
            boxes.append(candidate)
        return np.stack(boxes), num_fallbacks

    def _crop_and_resize(self, img: np.ndarray,
                         box: np.ndarray) -> np.ndarray:
        x1, y1, x2, y2 = box
        return mmcv.imresize(
            img[y1:y2, x1:x2],
            tuple(self.scale[::-1]),
            interpolation=self.interpolation,
            backend=self.backend)

    def _log_fallback(self, results: dict, num_fallbacks: int) -> None:
        self._num_fallback_images += 1
        if not _is_power_of_ten(self._num_fallback_images):
            return
        h, w = results['img'].shape[:2]
        print_log(
            f'{type(self).__name__}: {num_fallbacks} of {self.num_views} '
            f'views of {results.get("img_path", "an image")} ({h}x{w}) '
            f'found no box with IoU >= {self.min_iou} with the other views '
            f'in {self.max_resamples} draws and reuse view 0\'s box. '
            f'{self._num_fallback_images} image(s) needed this fallback so '
            'far in this process (logged at 1, 10, 100, ...); lower min_iou '
            'or raise max_resamples if this is frequent.',
            logger='current',
            level=logging.WARNING)

    def transform(self, results: dict) -> dict:
        """Replace ``results['img']`` by the list of its ``V`` views.

        Args:
            results (dict): Result dict from the loading pipeline.

        Returns:
            dict: The results with the views, ``view_boxes`` and
            ``view_fallbacks``.
        """
        img = results['img']
        boxes, num_fallbacks = self.sample_boxes(img)
        if num_fallbacks:
            self._log_fallback(results, num_fallbacks)
        views = []
        for box in boxes:
            view = self._crop_and_resize(img, box)
            view_results = self.view_pipeline(
                {**results, 'img': view, 'img_shape': view.shape})
            if view_results is None:
                raise ValueError(
                    'view_pipeline dropped a view (a transform returned '
                    'None); use only transforms that always return a view, '
                    'e.g. RandomFlip or ColorJitter.')
            views.append(view_results['img'])
        results['img'] = views
        results['img_shape'] = views[0].shape
        results['view_boxes'] = boxes
        results['view_fallbacks'] = num_fallbacks
        return results

    def __repr__(self) -> str:
        return (f'{super().__repr__()[:-1]}, num_views={self.num_views}, '
                f'min_iou={self.min_iou}, '
                f'max_resamples={self.max_resamples}, '
                f'view_pipeline={self.view_pipeline})')
