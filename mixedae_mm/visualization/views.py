"""MixedAE-Full in pictures: the views of each image and which were mixed."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import matplotlib
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import default_collate

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from PIL import Image  # noqa: E402

from ..datasets import box_iou  # noqa: E402
from ..models.utils import stack_views, stacked_view_ids  # noqa: E402

__all__ = ['multi_view_group', 'draw_views']

#: One colour per view (the sources of a mixed group use SOURCE_COLORS).
VIEW_COLORS = ['yellow', 'cyan', 'magenta', 'lime', 'white', 'orange']


@torch.no_grad()
def multi_view_group(model: torch.nn.Module, pipeline: Sequence[dict],
                     paths: Sequence[str], group: int) -> Dict:
    """Make the views of image files as training does; take one mixed group.

    The training ``pipeline`` (with ``IoUBoundedMultiViewCrop``) runs on
    every file, ``default_collate`` and the model's data preprocessor batch
    and normalise the views, :func:`stack_views` lays them out as
    :class:`MixedAEFull` does, and the ``G`` images of mixed group
    ``group`` are returned.

    Args:
        model (torch.nn.Module): A :class:`MixedAEFull`.
        pipeline (Sequence[dict]): The training pipeline, from loading to
            ``PackInputs``.
        paths (Sequence[str]): ``B`` image files (``B`` divisible by
            ``G``).
        group (int): Which of the ``V * B / G`` mixed images to take.

    Returns:
        dict: ``images`` ``(G, C, H, W)`` normalised; ``names`` of its
        sources (``'<file stem> view <v>'``); ``image_ids`` and
        ``view_ids`` ``(G, )`` of its sources; ``mixed_views``, for every
        file the views among them; ``view_boxes``, for every file its
        ``(V, 4)`` boxes (None where the pipeline did not pack
        ``view_boxes`` into the meta keys).
    """
    transform = Compose(list(pipeline))
    samples = [
        transform(dict(img_path=path, sample_idx=i))
        for i, path in enumerate(paths)
    ]
    data = model.data_preprocessor(default_collate(samples), False)
    views = data['inputs']
    model.check_views(views)
    num_sources = model.backbone.num_sources
    num_groups = len(views) * len(paths) // num_sources
    if not 0 <= group < num_groups:
        raise ValueError(
            f'group must be in [0, {num_groups}) (the mixed images of '
            f'{len(views)} views of {len(paths)} images), got {group}.')
    stacked = stack_views(views, model.views_in_one_group)
    image_ids, view_ids = stacked_view_ids(
        len(views), len(paths), model.views_in_one_group)
    chosen = slice(group * num_sources, (group + 1) * num_sources)
    stems = [osp.splitext(osp.basename(p))[0] for p in paths]
    sources = list(
        zip(image_ids[chosen].tolist(), view_ids[chosen].tolist()))
    mixed_views: List[List[int]] = [[] for _ in paths]
    for i, v in sources:
        mixed_views[i].append(v)
    return dict(
        images=stacked[chosen],
        names=[f'{stems[i]} view {v}' for i, v in sources],
        image_ids=image_ids[chosen],
        view_ids=view_ids[chosen],
        mixed_views=mixed_views,
        view_boxes=[
            sample.metainfo.get('view_boxes')
            for sample in data['data_samples']
        ])


def draw_views(paths: Sequence[str],
               view_boxes: Sequence[np.ndarray],
               out_file: str,
               mixed: Optional[Sequence[Sequence[int]]] = None) -> None:
    """Draw every image with the boxes of its views into a PNG.

    Args:
        paths (Sequence[str]): The image files.
        view_boxes (Sequence[np.ndarray]): ``(V, 4)`` boxes
            ``(x1, y1, x2, y2)`` per file, in its pixels.
        out_file (str): Output PNG.
        mixed (Sequence[Sequence[int]], optional): For every file, the
            views shown in the mixed image drawn next to this picture;
            their boxes are solid, the others dashed.
    """
    fig, axes = plt.subplots(
        1, len(paths), figsize=(3.2 * len(paths), 3.8), squeeze=False)
    for i, (path, boxes) in enumerate(zip(paths, view_boxes)):
        ax = axes[0, i]
        with Image.open(path) as img:
            ax.imshow(np.asarray(img.convert('RGB')))
        in_mix = set(mixed[i]) if mixed is not None else set()
        for v, (x1, y1, x2, y2) in enumerate(boxes):
            color = VIEW_COLORS[v % len(VIEW_COLORS)]
            ax.add_patch(
                Rectangle((x1 - .5, y1 - .5),
                          x2 - x1,
                          y2 - y1,
                          fill=False,
                          edgecolor=color,
                          linewidth=3 if v in in_mix else 1.5,
                          linestyle='-' if v in in_mix else '--'))
            ax.text(x1 + 2, y1 + 2, f'v{v}', color=color, fontsize=9,
                    va='top', fontweight='bold')
        ious = [
            box_iou(boxes[a], boxes[b:b + 1])[0]
            for a in range(len(boxes)) for b in range(a + 1, len(boxes))
        ]
        min_iou = f'min pairwise IoU {min(ious):.2f}' if ious else ''
        shown = ', '.join(f'v{v}' for v in sorted(in_mix)) or 'none'
        ax.set_title(
            f'{osp.splitext(osp.basename(path))[0]}: {len(boxes)} views\n'
            f'{min_iou}; mixed: {shown}',
            fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle('MixedAE-Full views (solid: in the mixed image drawn, '
                 'dashed: in the other mixed images)', fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
