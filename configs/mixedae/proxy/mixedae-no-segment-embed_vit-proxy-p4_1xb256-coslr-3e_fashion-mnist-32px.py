# Proxy row "-segment embedding": MixedAE without the segment embedding.
_base_ = './mixedae_vit-proxy-p4_1xb256-coslr-3e_fashion-mnist-32px.py'
model = dict(backbone=dict(segment_embed=False))
