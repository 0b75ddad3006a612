# ImageNet-1k linear probing, MixedAE ViT-B/16 pre-trained 300 epochs:
# the recipe of
#   vit-base-p16_8xb2048-linear-coslr-90e_in1k.py
# loading the last checkpoint of the pre-training
#   mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py
_base_ = './vit-base-p16_8xb2048-linear-coslr-90e_in1k.py'

pretrained = 'work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k/epoch_300.pth'  # noqa: E501
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
