# COCO Mask R-CNN (8 GPUs), MixedAE-Full ViT-B/16 pre-trained 300 epochs:
# the recipe of
#   mask-rcnn_vit-base-p16_simple-fpn_8xb4-accum2-amp-lsj-100e_coco.py
# loading the last checkpoint of the pre-training
#   mixedae-full_vit-base-p16_8xb512-amp-coslr-300e_in1k.py
_base_ = './mask-rcnn_vit-base-p16_simple-fpn_8xb4-accum2-amp-lsj-100e_coco.py'

pretrained = 'work_dirs/mixedae-full_vit-base-p16_8xb512-amp-coslr-300e_in1k/epoch_300.pth'  # noqa: E501
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
