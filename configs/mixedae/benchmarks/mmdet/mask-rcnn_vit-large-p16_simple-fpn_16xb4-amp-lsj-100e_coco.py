# COCO Mask R-CNN with a MixedAE ViT-L/16: the recipe, batch layout and
# listed differences of
#   mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py
# with ViTDet's ViT-L settings, drop path 0.4 and layer-wise lr decay 0.8
# (detectron2's projects/ViTDet/configs/COCO/mask_rcnn_vitdet_l_100ep.py).
# Global attention in all 24 blocks (ViTDet-L: in blocks 6, 12, 18 and
# 24 only, 14x14 windows elsewhere); memory at 4 images per GPU not
# measured (no GPU here).  The paper reports no ViT-L result.
# Each model-zoo entry has its own (8-GPU) config,
# mask-rcnn_vit-large-p16_mixedae-*-pre_*.py, that loads its pre-training;
# this one loads the 1600-epoch ViT-L/16.
_base_ = './mask-rcnn_vit-base-p16_simple-fpn_16xb4-amp-lsj-100e_coco.py'

pretrained = 'work_dirs/mixedae_vit-large-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
model = dict(
    backbone=dict(
        arch='large', drop_path_rate=0.4,
        init_cfg=dict(checkpoint=pretrained)),
    neck=dict(in_channels=1024))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.8))
