"""The rows of the proxy: which config each method trains."""
from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

__all__ = ['ProxyMethod', 'METHODS', 'FLOORS', 'seeds_for']

_VIT = 'vit-proxy-p4_1xb256-coslr-3e_fashion-mnist-32px.py'
_DIR = 'configs/mixedae/proxy/'


@dataclass(frozen=True)
class ProxyMethod:
    """One row of the proxy table.

    Args:
        name (str): Key used on the command line (``--methods``).
        label (str): Name in the table and the figure.
        config (str): Config path, relative to the repository root.
        main (bool): A main row (all seeds) rather than a single ablation
            (the first seed only).
        features (tuple): Features evaluated (``'cls'``, ``'mean'``).
        family (str): ``'mae'`` for the masked/mixed autoencoders.
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
        ProxyMethod('no-segment-embed', 'MixedAE - segment embedding',
                    _DIR + 'mixedae-no-segment-embed_' + _VIT, main=False),
        ProxyMethod('no-homo-attn', 'MixedAE - homologous attention',
                    _DIR + 'mixedae-no-homo-attn_' + _VIT, main=False),
        ProxyMethod('no-homo-contrastive', 'MixedAE - homologous contrastive',
                    _DIR + 'mixedae-no-homo-contrastive_' + _VIT,
                    main=False),
    )
}

#: rows without pre-training: the same ViT randomly initialised (built
#: from the MAE config), and the padded raw pixels
FLOORS: Dict[str, ProxyMethod] = {
    'random-init': ProxyMethod('random-init', 'random init (floor)',
                               METHODS['mae'].config),
    'raw-pixels': ProxyMethod('raw-pixels', 'raw pixels (floor)', '',
                              features=('pixels', ), main=False),
}


def seeds_for(method: ProxyMethod, seeds: Sequence[int]) -> list:
    """Main rows and the random-init floor run every seed; the single
    ablations and the (deterministic) raw pixels only the first."""
    if method.main and method.name != 'raw-pixels':
        return list(seeds)
    return list(seeds[:1])
