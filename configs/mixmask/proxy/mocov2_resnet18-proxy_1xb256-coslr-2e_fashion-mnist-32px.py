# Proxy row "MoCo v2": MMPretrain's MoCo v2 on Fashion-MNIST
# (tools/proxy.py --family siamese).
_base_ = [
    './_base_/mocov2_resnet18-proxy.py',
    './_base_/siamese_proxy_recipe.py',
]
