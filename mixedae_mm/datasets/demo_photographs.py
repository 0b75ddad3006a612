"""The demo's data: scikit-image's bundled colour photographs.

``make demo`` and ``tools/benchmark.py`` pre-train on them; this module
writes them once as an ImageNet-style folder ``<out>/<name>/<name>.png``.
"""
import glob
import os
import os.path as osp
from typing import List

import numpy as np
from PIL import Image

__all__ = ['export_demo_images', 'FIGURE_IMAGES', 'DEMO_CONFIG']

#: the tiny config that pre-trains on these photographs (repository path)
DEMO_CONFIG = 'configs/mixedae/mixedae_vit-tiny-p8_1xb16-60i_demo-64px.py'

#: the photographs of the demo's reconstruction figure (scikit-image names)
FIGURE_IMAGES = ('astronaut', 'chelsea', 'coffee', 'rocket')


def export_demo_images(out_dir: str) -> List[str]:
    """Write scikit-image's colour sample photographs as an ImageNet-style
    folder ``out_dir/<name>/<name>.png``; returns the written files."""
    import skimage
    data_dir = osp.join(osp.dirname(skimage.__file__), 'data')
    written = []
    for path in sorted(glob.glob(osp.join(data_dir, '*'))):
        name, ext = osp.splitext(osp.basename(path))
        if ext.lower() not in ('.png', '.jpg', '.jpeg'):
            continue
        try:
            img = Image.open(path)
            img.load()
        except OSError:
            continue
        if img.mode not in ('RGB', 'RGBA') or min(img.size) < 64:
            continue  # grey-level pictures, masks and icons
        arr = np.asarray(img.convert('RGB'))
        if np.abs(arr[..., 0].astype(int) - arr[..., 1]).mean() < 1:
            continue  # grey stored as RGB
        target = osp.join(out_dir, name, f'{name}.png')
        os.makedirs(osp.dirname(target), exist_ok=True)
        if not osp.exists(target):
            Image.fromarray(arr).save(target)
        written.append(target)
    if len(written) < 4:
        raise RuntimeError(
            f'found only {len(written)} colour photographs in {data_dir}; '
            'the demo needs at least 4 (reinstall scikit-image).')
    return written
