# COCO Mask R-CNN (8 GPUs), MixedAE ViT-B/16 pre-trained 800 epochs:
# the recipe of
#   mask-rcnn_vit-base-p16_simple-fpn_8xb4-accum2-amp-lsj-100e_coco.py
# loading the last checkpoint of the pre-training
#   mixedae_vit-base-p16_8xb512-amp-coslr-800e_in1k.py
_base_ = './mask-rcnn_vit-base-p16_simple-fpn_8xb4-accum2-amp-lsj-100e_coco.py'

pretrained = 'work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-800e_in1k/epoch_800.pth'  # noqa: E501
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
