# COCO Mask R-CNN (8 GPUs), MixedAE ViT-L/16 pre-trained 1600 epochs:
# the recipe of
#   mask-rcnn_vit-large-p16_simple-fpn_8xb4-accum2-amp-lsj-100e_coco.py
# loading the last checkpoint of the pre-training
#   mixedae_vit-large-p16_8xb512-amp-coslr-1600e_in1k.py
_base_ = './mask-rcnn_vit-large-p16_simple-fpn_8xb4-accum2-amp-lsj-100e_coco.py'  # noqa: E501

pretrained = 'work_dirs/mixedae_vit-large-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
