# The short name: MixedAE ViT-B/16, 1600 epochs, 8 GPUs x 512 images.
#   tools/dist_train.sh configs/mixedae_vit-b_1600e.py 8
# It writes where the long-named config writes (not work_dirs/<this name>),
# work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k/epoch_1600.pth,
# the checkpoint every downstream config loads by default; `--work-dir`
# still overrides it.  Both names resume the same run.
_base_ = './mixedae/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'

work_dir = './work_dirs/mixedae_vit-base-p16_8xb512-amp-coslr-1600e_in1k'
