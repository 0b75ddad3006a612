# The proxy's ConvNet, shared by every Siamese row: MMPretrain's
# ResNet_CIFAR-18 (3x3 stem, no max-pool) on 32 x 32 grey images, at a
# quarter of its width (16 stem and first-stage channels, 128-d features),
# the first stage with stride 2 (feature maps 16, 8, 4, 2 px).  Sized from a
# measured step time so that both rows and two seeds fit the siamese
# family's budget on 2 CPU cores (README, "Siamese rows").
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
    norm_cfg=dict(type='BN'),
    zero_init_residual=False)
