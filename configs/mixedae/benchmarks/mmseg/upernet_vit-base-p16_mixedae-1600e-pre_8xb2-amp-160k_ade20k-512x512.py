# ADE20K UperNet, MixedAE ViT-B/16 pre-trained 1600 epochs:
# the recipe of
#   upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py
# loading the last checkpoint of the pre-training
#   mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py
_base_ = './upernet_vit-base-p16_8xb2-amp-160k_ade20k-512x512.py'

pretrained = 'work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth'  # noqa: E501
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
