"""Fashion-MNIST on disk, the way MMPretrain's ``FashionMNIST`` reads it.

MMPretrain's registered ``FashionMNIST`` data set wants the four original
IDX files *un-gzipped* in its ``data_root``.  :func:`prepare_fashion_mnist`
puts them there from wherever they are, in this order:

1. ``data_root`` already holds them (nothing to do);
2. the gzipped originals in ``data_root`` or in the system folder of
   Debian's ``dataset-fashion-mnist`` package
   (``/usr/share/datasets/fashion-mnist``), un-gzipped into ``data_root``;
3. as root on a machine with ``apt-get``, that package is installed first;
4. otherwise MMPretrain's own download (needs the network).

Without files and without network it raises :class:`FashionMNISTNotFound`,
whose message says how to get them.  The files are checked (IDX magic
number and item count), so a truncated copy is refused, not half-read.
"""
import gzip
import os
import os.path as osp
import shutil
import socket
import subprocess
from typing import Callable, Dict, Optional

__all__ = [
    'FASHION_MNIST_FILES', 'FASHION_MNIST_SYSTEM_DIR', 'FashionMNISTNotFound',
    'prepare_fashion_mnist'
]

#: Debian's ``dataset-fashion-mnist`` puts the gzipped originals here
FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist'
APT_PACKAGE = 'dataset-fashion-mnist'

#: un-gzipped file name -> (IDX magic number, number of items)
FASHION_MNIST_FILES: Dict[str, tuple] = {
    'train-images-idx3-ubyte': (2051, 60000),
    'train-labels-idx1-ubyte': (2049, 60000),
    't10k-images-idx3-ubyte': (2051, 10000),
    't10k-labels-idx1-ubyte': (2049, 10000),
}


class FashionMNISTNotFound(RuntimeError):
    """Fashion-MNIST is neither on disk nor obtainable here."""


def _idx_ok(path: str, magic: int, count: int) -> bool:
    """True if ``path`` is a complete IDX file with ``count`` items."""
    if not osp.isfile(path):
        return False
    with open(path, 'rb') as f:
        header = f.read(16)
    if len(header) < 8 or int.from_bytes(header[:4], 'big') != magic:
        return False
    if int.from_bytes(header[4:8], 'big') != count:
        return False
    item = 1 if magic == 2049 else 28 * 28
    offset = 8 if magic == 2049 else 16
    return osp.getsize(path) == offset + count * item


def _missing(data_root: str) -> list:
    return [
        name for name, (magic, count) in FASHION_MNIST_FILES.items()
        if not _idx_ok(osp.join(data_root, name), magic, count)
    ]


def _gunzip_from(source_dir: str, data_root: str, names: list) -> bool:
    """Un-gzip ``names`` from ``source_dir`` into ``data_root`` if all of
    their ``.gz`` files are there; True when it did."""
    sources = [osp.join(source_dir, name + '.gz') for name in names]
    if not all(osp.isfile(s) for s in sources):
        return False
    os.makedirs(data_root, exist_ok=True)
    for name, source in zip(names, sources):
        target = osp.join(data_root, name)
        tmp = target + '.part'
        with gzip.open(source, 'rb') as fin, open(tmp, 'wb') as fout:
            shutil.copyfileobj(fin, fout)
        os.replace(tmp, target)
    return True


def _can_apt() -> bool:
    return (hasattr(os, 'geteuid') and os.geteuid() == 0
            and shutil.which('apt-get') is not None)


def _apt_install(log: Callable[[str], None]) -> bool:
    """``apt-get install dataset-fashion-mnist`` (after one ``update`` if
    the first try fails); True on success."""
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    cmd = ['apt-get', 'install', '-y', '-q', APT_PACKAGE]
    for attempt in range(2):
        if attempt:
            log('apt-get update')
            subprocess.run(['apt-get', 'update', '-q'],
                           env=env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        log(' '.join(cmd))
        done = subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode == 0:
            return True
    return False


def _mmpretrain_download(data_root: str, log: Callable[[str], None]) -> bool:
    """Let MMPretrain's ``FashionMNIST`` download the files (network)."""
    from mmpretrain.datasets import FashionMNIST
    log('trying MMPretrain\'s FashionMNIST download')
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)
    try:
        os.makedirs(data_root, exist_ok=True)
        # building it downloads and extracts the files when they are missing
        FashionMNIST(data_root=data_root, download=True)
        return True
    except Exception as err:  # no network: any of URLError, OSError ...
        log(f'download failed: {type(err).__name__}: {err}')
        return False
    finally:
        socket.setdefaulttimeout(previous)


def prepare_fashion_mnist(data_root: str = 'data/fashion_mnist',
                          system_dir: str = FASHION_MNIST_SYSTEM_DIR,
                          install: bool = True,
                          download: bool = True,
                          log: Optional[Callable[[str], None]] = None) -> str:
    """Put the un-gzipped Fashion-MNIST files in ``data_root``.

    Args:
        data_root (str): Where MMPretrain's ``FashionMNIST`` will read them
            (its ``data_root``). Defaults to ``'data/fashion_mnist'``.
        system_dir (str): Folder with the gzipped originals, Debian's
            ``/usr/share/datasets/fashion-mnist`` by default.
        install (bool): As root with ``apt-get``, install Debian's
            ``dataset-fashion-mnist`` when no copy is found.
        download (bool): Fall back to MMPretrain's download (network).
        log (callable, optional): Progress messages; ``print`` if None.

    Returns:
        str: ``data_root``.

    Raises:
        FashionMNISTNotFound: No copy on disk and none could be obtained;
            the message says how to get one.
    """
    log = log or (lambda msg: print(f'[fashion-mnist] {msg}', flush=True))
    missing = _missing(data_root)
    if not missing:
        return data_root
    for source in (data_root, system_dir):
        if _gunzip_from(source, data_root, missing):
            log(f'un-gzipped {len(missing)} files from {source} into '
                f'{data_root}')
            break
    else:
        if install and _can_apt() and _apt_install(log) and _gunzip_from(
                system_dir, data_root, missing):
            log(f'installed {APT_PACKAGE}; un-gzipped into {data_root}')
        elif not (download and _mmpretrain_download(data_root, log)):
            raise FashionMNISTNotFound(
                f'Fashion-MNIST is not in {data_root} nor in {system_dir}, '
                'and it could not be installed or downloaded here. Get the '
                'four files train-images-idx3-ubyte.gz, '
                'train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, '
                't10k-labels-idx1-ubyte.gz: on Debian/Ubuntu as root '
                f'`apt-get update && apt-get install {APT_PACKAGE}` (puts '
                f'them in {FASHION_MNIST_SYSTEM_DIR}); elsewhere from '
                'https://github.com/zalandoresearch/fashion-mnist (data/'
                f'fashion) into {data_root}, then run the command again.')
    still_missing = _missing(data_root)
    if still_missing:
        raise FashionMNISTNotFound(
            f'{data_root} has incomplete or corrupt Fashion-MNIST files: '
            f'{still_missing}. Delete them and run the command again.')
    return data_root
