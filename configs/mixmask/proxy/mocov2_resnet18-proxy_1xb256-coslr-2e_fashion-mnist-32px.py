# Proxy row "MoCo v2": MMPretrain's MoCo v2 on Fashion-MNIST (through
# MixMaskMoCo with mix_weight=0, for the logged collapse signals)
# (tools/proxy.py --family siamese).
_base_ = [
    './_base_/mocov2_resnet18-proxy.py',
    './_base_/siamese_proxy_recipe.py',
]
