# MixedAE-Full ViT-B/16, 300 epochs on ImageNet-1k, 8 GPUs x 512 views, AMP:
# object-aware pre-training (paper: 83.8 top-1, 48.9 ADE20K mIoU, 51.0 COCO
# APbb, 62.3 GPU-days).  Every image gives V = 4 random-resized-crop views
# whose boxes overlap pairwise by IoU >= 0.5 (MultiSiam's single-centric-
# object guarantee); views of one image go to different mixed groups and
# all their patches are positives of the homologous contrastive loss.
#
# Follows the paper: object-aware pre-training with MultiSiam's criterion
# (crops overlapping enough by IoU show one object); ViT-B/16, 300 epochs,
# MixedAE's recipe otherwise; the budgets (62.3 / 30.8 GPU-days).  Our
# reading (the authors released no code): V = 4 (Full) / 2 (Full*), read
# from those budgets; rejection-sampled RandomResizedCrop boxes with
# pairwise IoU >= 0.5 (the threshold is not in our sources; 0.5 is
# MultiSiam's as we recall it) and view 0's box as the fallback; every
# view mixed and reconstructed as an image; views of one image in
# different mixed groups; the patches of all views of an image as
# contrastive positives; the batch layout below.
#
# Budget [our reading]: the paper's 62.3 GPU-days are 3.7x MixedAE's 16.9
# (Full* with V = 2: 30.8, 1.8x), i.e. cost grows with V at the same number
# of images per epoch.  So an epoch still shows every image once, as V
# views, and a GPU keeps MixedAE's 512 *views* per step (512 / V = 128
# images x 4 views: MixedAE's memory and step time) with MixedAE's 4096
# views per step and lr.  An epoch then has V times MixedAE's steps: ~4x
# its cost (4 x 16.9 = 67.6 GPU-days vs the paper's 62.3).
_base_ = './mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

num_views = 4
model = dict(
    type='MixedAEFull',
    num_views=num_views,
    views_in_one_group=False,  # True: mix the views of one image together
    cross_view_positives=True)  # False: MixedAE's per-view positives

train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(
        type='IoUBoundedMultiViewCrop',
        scale=224,
        num_views=num_views,
        min_iou=0.5,
        max_resamples=100,  # then the view reuses view 0's box (logged)
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic',
        view_pipeline=[dict(type='RandomFlip', prob=0.5)]),
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                   'view_boxes', 'view_fallbacks'))
]
train_dataloader = dict(
    batch_size=512 // num_views,  # images per GPU; x V = 512 views
    dataset=dict(pipeline=train_pipeline))

# `--auto-scale-lr` counts images: 8 GPUs x 128 images (= 4096 views)
auto_scale_lr = dict(base_batch_size=8 * 512 // num_views)
