"""Image loading that names the file it cannot read."""
from typing import Optional

from mmcv.transforms import LoadImageFromFile
from mmengine.logging import print_log
from mmpretrain.registry import TRANSFORMS

__all__ = ['CheckedLoadImageFromFile']


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that reports or skips unreadable images.

    mmcv's loader fails on a truncated file with a bare "failed to load
    image" and on an empty file with an OpenCV assertion that names no file
    at all.  This one raises a ``ValueError`` naming the file and the fix,
    or, with ``on_error='skip'``, logs the file and returns None so that the
    data set draws another sample (mmengine's ``BaseDataset`` refetch).

    Args:
        on_error (str): ``'raise'`` (default) or ``'skip'``.
        **kwargs: Arguments of :class:`mmcv.transforms.LoadImageFromFile`.
    """

    def __init__(self, on_error: str = 'raise', **kwargs) -> None:
        if on_error not in ('raise', 'skip'):
            raise ValueError(
                f"on_error must be 'raise' or 'skip', got {on_error!r}.")
        super().__init__(**kwargs)
        self.on_error = on_error

    def transform(self, results: dict) -> Optional[dict]:
        path = results.get('img_path')
        try:
            out = super().transform(results)
        except Exception as e:  # mmcv raises AssertionError / cv2.error
            out, error = None, e
        else:
            error = None if out is not None else 'empty image'
        if error is None:
            return out
        error = ' '.join(str(error).split())  # OpenCV's are multi-line
        if self.on_error == 'skip':
            print_log(f'Skipped unreadable image {path}: {error}',
                      logger='current', level=30)
            return None
        raise ValueError(
            f'Cannot read image {path}: {error}. The file is corrupt, '
            "truncated or empty: replace or delete it, or set on_error='skip' "
            'in the CheckedLoadImageFromFile transform of the pipeline to '
            'skip such files (each one is logged).')
