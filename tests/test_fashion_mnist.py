"""Fashion-MNIST is put where MMPretrain's FashionMNIST reads it."""
import os
import os.path as osp
import shutil

import pytest

from mixedae_mm.datasets import (FASHION_MNIST_FILES, FashionMNISTNotFound,
                                 prepare_fashion_mnist)
from mixedae_mm.datasets.fashion_mnist import FASHION_MNIST_SYSTEM_DIR


def _require_system_copy():
    missing = [
        n for n in FASHION_MNIST_FILES
        if not osp.isfile(osp.join(FASHION_MNIST_SYSTEM_DIR, n + '.gz'))
    ]
    if missing:
        pytest.fail(
            f'Debian\'s Fashion-MNIST is not in {FASHION_MNIST_SYSTEM_DIR} '
            f'({missing}); tools/setup_env.sh installs it as root: '
            '`apt-get install dataset-fashion-mnist`.')


@pytest.fixture(scope='module')
def prepared(tmp_path_factory):
    _require_system_copy()
    root = str(tmp_path_factory.mktemp('fmnist'))
    logs = []
    assert prepare_fashion_mnist(root, log=logs.append) == root
    assert any('un-gzipped 4 files' in m for m in logs)
    return root


def test_files_are_read_by_mmpretrains_fashion_mnist(prepared):
    from mmpretrain.datasets import FashionMNIST
    train = FashionMNIST(data_root=prepared, split='train', download=False)
    test = FashionMNIST(
        data_root=prepared, split='test', test_mode=True, download=False)
    assert (len(train), len(test)) == (60000, 10000)
    sample = train.get_data_info(0)
    assert sample['img'].shape == (28, 28)
    labels = {int(test.get_data_info(i)['gt_label']) for i in range(500)}
    assert labels == set(range(10))


def test_a_second_call_does_nothing_and_a_truncated_file_is_replaced(
        prepared, tmp_path):
    root = str(tmp_path / 'copy')
    shutil.copytree(prepared, root)
    logs = []
    prepare_fashion_mnist(root, log=logs.append)
    assert logs == []  # complete: nothing done
    path = osp.join(root, 't10k-labels-idx1-ubyte')
    with open(path, 'r+b') as f:
        f.truncate(1000)
    prepare_fashion_mnist(root, log=logs.append)
    assert osp.getsize(path) == 8 + 10000
    assert any('un-gzipped 1 files' in m for m in logs)


def test_missing_everywhere_stops_with_how_to_get_it(tmp_path):
    empty = str(tmp_path / 'nothing')
    os.makedirs(empty)
    with pytest.raises(FashionMNISTNotFound) as err:
        prepare_fashion_mnist(
            str(tmp_path / 'data'),
            system_dir=empty,
            install=False,
            download=False,
            log=lambda m: None)
    message = str(err.value)
    assert 'apt-get install dataset-fashion-mnist' in message
    assert 'train-images-idx3-ubyte.gz' in message
