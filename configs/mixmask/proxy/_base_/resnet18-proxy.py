# The proxy's ConvNet, shared by every Siamese row: MMPretrain's
# ResNet_CIFAR-18 (3x3 stem, no max-pool) on 32 x 32 grey images, at a
# quarter of its width (16 stem and first-stage channels, 128-d features),
# the first stage with stride 2 (feature maps 16, 8, 4, 2 px).  Sized from a
# measured step time so that the rows and two seeds fit the siamese
# family's budget on 2 CPU cores (docs/mixmask.md, "Siamese proxy rows").
# SplitBN: BatchNorm statistics over 8 sub-batches of 32 in training, as 8
# GPUs of 32 images would have them.  With MoCo's shuffle of the keys a
# query and its key then fall into different sub-batches; with one BN batch
# on one process they share its statistics and MoCo can tell its positive
# key from the queue by them (MoCo's Shuffle BN, He et al. 2020; the
# official MoCo CIFAR demo's SplitBatchNorm).  In evaluation it is BN.
in_channels = 1
width = 16
feat_channels = 8 * width
backbone = dict(
    type='ResNet_CIFAR',
    depth=18,
    in_channels=in_channels,
    stem_channels=width,
    base_channels=width,
    strides=(2, 2, 2, 2),
    norm_cfg=dict(type='SplitBN', num_splits=8),
    zero_init_residual=False)
