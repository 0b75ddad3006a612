# The proxy's network sizes, shared by MAE and every MixedAE row: a ViT at
# 32 x 32 grey images with 4 px patches (N = 64 tokens) and MAE's decoder,
# both small.  Sized from a measured step time so that all rows fit the
# proxy's budget on 2 CPU cores (README, "Does it learn?").
img_size = 32
patch_size = 4
in_channels = 1
num_patches = (img_size // patch_size)**2
embed_dims = 96
encoder_arch = dict(
    _delete_=True,  # replaces the base model's arch name ('b')
    embed_dims=embed_dims,
    num_layers=4,
    num_heads=3,
    feedforward_channels=4 * embed_dims)
decoder_embed_dims = 64
decoder_depth = 1
decoder_num_heads = 2
