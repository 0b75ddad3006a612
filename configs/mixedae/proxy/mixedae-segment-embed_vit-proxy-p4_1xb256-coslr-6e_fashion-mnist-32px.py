# Proxy row "+ segment embedding": MixedAE with a learnable embedding of
# each token's source added before the encoder -- the shortcut that an
# earlier run of this proxy found (docs/proxy.md).
_base_ = './mixedae_vit-proxy-p4_1xb256-coslr-6e_fashion-mnist-32px.py'
model = dict(backbone=dict(segment_embed=True))
