"""The rows of the proxy: which config each method trains."""
from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

__all__ = ['ProxyMethod', 'METHODS', 'FLOORS', 'FAMILIES', 'in_family',
           'seeds_for']

_VIT = 'vit-proxy-p4_1xb256-coslr-6e_fashion-mnist-32px.py'
_DIR = 'configs/mixedae/proxy/'
_RESNET = 'resnet18-proxy_1xb256-coslr-2e_fashion-mnist-32px.py'
_SIAMESE_DIR = 'configs/mixmask/proxy/'

#: ``tools/proxy.py --family``: the masked / mixed autoencoders (ViTs: the
#: main rows, and the single ablations as a second command that adds to the
#: same table) and the Siamese ConvNets (MoCo v2 +- MixMask)
FAMILIES = ('mae', 'ablations', 'siamese')


@dataclass(frozen=True)
class ProxyMethod:
    """One row of the proxy table.

    Args:
        name (str): Key used on the command line (``--methods``).
        label (str): Name in the table and the figure.
        config (str): Config path, relative to the repository root.
        main (bool): A main row (all seeds) rather than an ablation (the
            first two seeds).
        features (tuple): Features evaluated (``'cls'``, ``'mean'``; a
            ConvNet has only ``'mean'``, its pooled last stage).
        family (str): ``'mae'`` for the main rows of the masked / mixed
            autoencoders, ``'ablations'`` for MixedAE's single ablations,
            ``'siamese'`` for the Siamese ConvNets, ``'any'`` for a floor
            of every family.
    """
    name: str
    label: str
    config: str
    main: bool = True
    features: Tuple[str, ...] = ('cls', 'mean')
    family: str = 'mae'


METHODS: Dict[str, ProxyMethod] = {
    m.name: m
    for m in (
        ProxyMethod('mae', 'MAE (mask 0.75)', _DIR + 'mae_' + _VIT),
        ProxyMethod('mixedae', 'MixedAE', _DIR + 'mixedae_' + _VIT),
        ProxyMethod('naive-mixing', 'naive mixing',
                    _DIR + 'mixedae-naive-mixing_' + _VIT),
        ProxyMethod('no-homo-attn', 'MixedAE - homologous attention',
                    _DIR + 'mixedae-no-homo-attn_' + _VIT, main=False,
                    family='ablations'),
        ProxyMethod('no-homo-contrastive', 'MixedAE - homologous contrastive',
                    _DIR + 'mixedae-no-homo-contrastive_' + _VIT,
                    main=False, family='ablations'),
        ProxyMethod('segment-embed', 'MixedAE + segment embedding',
                    _DIR + 'mixedae-segment-embed_' + _VIT, main=False,
                    family='ablations'),
        ProxyMethod('mocov2', 'MoCo v2', _SIAMESE_DIR + 'mocov2_' + _RESNET,
                    features=('mean', ), family='siamese'),
        ProxyMethod('mixmask-mocov2', 'MoCo v2 + MixMask',
                    _SIAMESE_DIR + 'mixmask-mocov2_' + _RESNET,
                    features=('mean', ), family='siamese'),
    )
}

#: rows without pre-training: the same ViT (built from the MAE config) or
#: ResNet (from the MoCo v2 config) randomly initialised, and the padded
#: raw pixels
FLOORS: Dict[str, ProxyMethod] = {
    'random-init': ProxyMethod('random-init', 'random init (floor)',
                               METHODS['mae'].config),
    'random-init-resnet': ProxyMethod(
        'random-init-resnet', 'random init ResNet (floor)',
        METHODS['mocov2'].config, features=('mean', ), family='siamese'),
    'raw-pixels': ProxyMethod('raw-pixels', 'raw pixels (floor)', '',
                              features=('pixels', ), main=False,
                              family='any'),
}


def in_family(method: ProxyMethod, family: str) -> bool:
    """Whether ``method`` is a row (or floor) of ``family``."""
    return method.family in (family, 'any')


def seeds_for(method: ProxyMethod, seeds: Sequence[int]) -> list:
    """Main rows and the random-init floors run every seed; the single
    ablations the first two; the (deterministic) raw pixels the first."""
    if method.name == 'raw-pixels':
        return list(seeds[:1])
    if method.main:
        return list(seeds)
    return list(seeds[:2])
