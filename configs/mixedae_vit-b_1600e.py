# The short name: MixedAE ViT-B/16, 1600 epochs, 8 GPUs x 512 images.
#   tools/dist_train.sh configs/mixedae_vit-b_1600e.py 8
_base_ = './mixedae/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'
