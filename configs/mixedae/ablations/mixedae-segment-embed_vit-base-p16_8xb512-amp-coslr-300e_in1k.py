# Ablation "+ segment embedding": a learnable embedding of each token's
# source index added before the encoder.  It tells the encoder what
# homologous recognition should find, and on the Fashion-MNIST proxy the
# homologous contrastive loss collapses onto it (docs/proxy.md); kept to
# show that shortcut, not to be used.
_base_ = '../mixedae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(backbone=dict(segment_embed=True))
