"""The real-data proxy of the paper's tables (``tools/proxy.py``).

Every row pre-trains through mmengine's Runner (``tools/train.py``) on
Fashion-MNIST, then its frozen encoder is evaluated by kNN and a linear
probe on the 10,000 test images; :mod:`.report` writes the table, the JSON
and the figure.
"""
from .methods import (FAMILIES, FLOORS, METHODS, ProxyMethod, in_family,
                      seeds_for)
from .report import summarise, write_figure, write_table
from .rows import (ProxyData, build_model, evaluate_row, proxy_config,
                   read_scalars, train_row)

__all__ = [
    'FAMILIES', 'FLOORS', 'METHODS', 'ProxyMethod', 'in_family', 'seeds_for',
    'summarise',
    'write_figure', 'write_table', 'ProxyData', 'build_model', 'evaluate_row',
    'proxy_config', 'read_scalars', 'train_row'
]
