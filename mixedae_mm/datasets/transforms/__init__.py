from .iou_bounded_multi_view_crop import IoUBoundedMultiViewCrop, box_iou
from .loading import CheckedLoadImageFromFile

__all__ = ['CheckedLoadImageFromFile', 'IoUBoundedMultiViewCrop', 'box_iou']
