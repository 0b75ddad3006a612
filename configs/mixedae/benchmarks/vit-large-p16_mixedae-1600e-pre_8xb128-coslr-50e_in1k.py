# ImageNet-1k fine-tuning, MixedAE ViT-L/16 pre-trained 1600 epochs:
# the recipe of
#   vit-large-p16_8xb128-coslr-50e_in1k.py
# loading the last checkpoint of the pre-training
#   mixedae_vit-large-p16_8xb512-amp-coslr-1600e_in1k.py
_base_ = './vit-large-p16_8xb128-coslr-50e_in1k.py'

pretrained = 'work_dirs/mixedae_vit-large-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
