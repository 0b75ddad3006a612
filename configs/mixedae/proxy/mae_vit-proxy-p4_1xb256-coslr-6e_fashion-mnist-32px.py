# Proxy row "MAE": MMPretrain's MAE on Fashion-MNIST (tools/proxy.py).
_base_ = [
    './_base_/mae_vit-proxy-p4.py',
    './_base_/proxy_recipe.py',
]
