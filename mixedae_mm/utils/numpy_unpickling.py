"""numpy arrays, scalars and dtypes of a checkpoint, rebuilt without letting
the file set numpy's internals.

A pickled numpy dtype is ``numpy.dtype(code, False, True)`` followed by
``__setstate__(state)``, and ``state`` holds the dtype's flags.  Allowing
numpy's own ``dtype`` (and its ``Float64DType`` ... classes) lets a file
forge flags that say "this array holds object pointers": the file loads, and
the first ``deepcopy`` (``MessageHub.load_state_dict`` does one) makes numpy
dereference the file's bytes as a pointer.

So the allow-list never names a numpy object.  The numpy names a checkpoint
uses are mapped to the stand-ins of this module instead:

- ``numpy.dtype`` -> :class:`DTypeStandIn`: admits a plain numeric or string
  typecode only, and a state equal to the one numpy itself writes for that
  dtype (no fields, no sub-array, the flags numpy gives it); anything else
  is refused;
- ``numpy.core.multiarray._reconstruct`` (and numpy 2's
  ``numpy._core.multiarray._reconstruct``) -> :class:`ArrayStandIn`: the
  array is made by ``numpy.frombuffer`` from the raw bytes and a dtype made
  here, after checking that the byte count matches the shape;
- ``numpy.core.multiarray.scalar`` -> :func:`numpy_scalar`: the same for
  one value;
- ``numpy.ndarray`` -> a placeholder that may only be the first argument of
  ``_reconstruct``;
- ``builtins.bytes`` -> :func:`empty_bytes`: ``bytes()`` only, which is how
  pickle protocol 2 writes the raw data of an empty array.

Every check failure raises :class:`~.checkpoint_errors.Forbidden`.  After
unpickling, :func:`materialise` replaces the stand-ins by real numpy arrays
and dtypes, which numpy made from a typecode and bytes alone.
"""
import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from mmengine.logging import HistoryBuffer

from .checkpoint_errors import Forbidden

__all__ = [
    'DTypeStandIn', 'ArrayStandIn', 'numpy_scalar', 'empty_bytes',
    'numpy_globals', 'materialise'
]

# bool, integers, floats, complex, bytes and str: no object, void, datetime
_KINDS = 'biufcSU'
# numpy moved ``numpy.core`` to ``numpy._core`` in 2.0; a pickle names the
# module of the numpy that wrote it
_CORE_MODULES = ('numpy.core.multiarray', 'numpy._core.multiarray')
_MAX_NDIM = 64


class DTypeStandIn:
    """Stands for ``numpy.dtype`` while a checkpoint is unpickled.

    Args:
        code (str): The typecode numpy pickles (``'f8'``, ``'U5'`` ...).
        align (bool): numpy's ``align``; False in every plain dtype.
        copy (bool): numpy's ``copy``.
    """
    _base: Optional[np.dtype] = None
    dtype: Optional[np.dtype] = None

    def __init__(self, code: Any, align: Any = False, copy: Any = True):
        if type(code) is not str or align is not False or \
                type(copy) is not bool:
            raise Forbidden(
                f'numpy.dtype({code!r}, {align!r}, {copy!r}): only a '
                'typecode string with align=False is allowed')
        try:
            base = np.dtype(code)
        except (TypeError, ValueError) as error:
            raise Forbidden(f'numpy.dtype({code!r}): {error}') from None
        if base.kind not in _KINDS or base.fields is not None or \
                base.subdtype is not None or base.metadata is not None:
            raise Forbidden(
                f'numpy dtype {code!r} (kind {base.kind!r}): only plain '
                'bool, integer, float, complex, bytes and str dtypes are '
                'allowed')
        self._base = base

    def __setstate__(self, state: Any) -> None:
        if self._base is None or self.dtype is not None:
            raise Forbidden('a numpy dtype state without its typecode, or '
                            'applied twice')
        dtype = self._base
        endian = state[1] if type(state) is tuple and len(state) > 1 \
            else None
        if type(endian) is str and endian in '<>' and len(endian) == 1 \
                and dtype.byteorder != '|':
            dtype = dtype.newbyteorder(endian)
        expected = dtype.__reduce__()[2]
        # compare types first: the file's items are never compared with
        # anything but plain ints, strings and None
        if type(state) is not tuple or len(state) != len(expected) or \
                not all(type(got) is type(want) and got == want
                        for got, want in zip(state, expected)):
            raise Forbidden(
                f'numpy dtype {dtype.str!r} with state {state!r:.200}; '
                f'numpy writes {expected!r} for it (forged flags, fields or '
                'sizes could make numpy read the file\'s bytes as pointers)')
        self.dtype = dtype

    def built(self) -> np.dtype:
        """The checked dtype; refused if its state never came."""
        if self.dtype is None:
            raise Forbidden('a numpy dtype without its state')
        return self.dtype


def _ndarray_placeholder(*args, **kwargs):
    """What ``numpy.ndarray`` means in a checkpoint: a marker only."""
    raise Forbidden('numpy.ndarray may only appear as the first argument of '
                    'numpy\'s array reconstructor')


class ArrayStandIn:
    """Stands for numpy's ``_reconstruct(ndarray, (0,), b'b')`` and the
    ``__setstate__`` that follows it.

    Args:
        subtype: Must be the ``numpy.ndarray`` placeholder (no subclass).
        shape: Ignored (numpy passes ``(0,)``).
        typecode: Ignored (numpy passes ``b'b'``).
    """
    array: Optional[np.ndarray] = None
    _checked = False

    def __init__(self, subtype: Any, shape: Any = None, typecode: Any = None):
        if subtype is not _ndarray_placeholder:
            raise Forbidden(f'numpy array of type {subtype!r}: only '
                            'numpy.ndarray itself is allowed')
        self._checked = True

    def __setstate__(self, state: Any) -> None:
        if not self._checked or self.array is not None:
            raise Forbidden('a numpy array state without its reconstructor, '
                            'or applied twice')
        if type(state) is not tuple or len(state) != 5:
            raise Forbidden('a numpy array state that is not (version, '
                            'shape, dtype, fortran, bytes)')
        version, shape, dtype, fortran, data = state
        if version != 1 or type(fortran) is not bool or \
                not isinstance(dtype, DTypeStandIn) or \
                type(data) not in (bytes, bytearray) or \
                type(shape) is not tuple or len(shape) > _MAX_NDIM or \
                not all(type(n) is int and n >= 0 for n in shape):
            raise Forbidden('a numpy array state that is not (1, shape of '
                            'ints, plain dtype, bool, bytes)')
        dtype = dtype.built()
        count = math.prod(shape)
        if len(data) != count * dtype.itemsize:
            raise Forbidden(
                f'a numpy array of shape {shape} and dtype {dtype.str} '
                f'needs {count * dtype.itemsize} bytes, the file gives '
                f'{len(data)}')
        order = 'F' if fortran else 'C'
        if dtype.itemsize == 0:
            self.array = np.empty(shape, dtype, order=order)
        else:
            flat = np.frombuffer(bytes(data), dtype=dtype)
            self.array = flat.reshape(shape, order=order).copy(order='K')

    def built(self) -> np.ndarray:
        """The checked array; refused if its state never came."""
        if self.array is None:
            raise Forbidden('a numpy array without its state')
        return self.array


def empty_bytes(*args: Any) -> bytes:
    """``bytes()``: how pickle protocol 2 writes ``b''`` (the raw data of an
    empty array); any argument is refused."""
    if args:
        raise Forbidden(f'bytes{args!r:.60}: only bytes() is allowed')
    return b''


def numpy_scalar(dtype: Any, data: Any = None) -> np.generic:
    """numpy's ``scalar(dtype, bytes)``, from a checked dtype and bytes."""
    if not isinstance(dtype, DTypeStandIn):
        raise Forbidden(f'numpy scalar of {dtype!r}: only plain dtypes are '
                        'allowed')
    dtype = dtype.built()
    if type(data) is not bytes or len(data) != dtype.itemsize or \
            dtype.itemsize == 0:
        raise Forbidden(f'numpy scalar of dtype {dtype.str} needs '
                        f'{dtype.itemsize} bytes, the file gives {data!r:.40}')
    return np.frombuffer(data, dtype=dtype)[0]


def numpy_globals() -> List[Tuple[Any, str]]:
    """``(stand-in, 'module.name')`` for every numpy name a checkpoint may
    use, under numpy 1's and numpy 2's module names."""
    entries = [(DTypeStandIn, 'numpy.dtype'),
               (_ndarray_placeholder, 'numpy.ndarray'),
               (empty_bytes, 'builtins.bytes')]
    for module in _CORE_MODULES:
        entries += [(ArrayStandIn, f'{module}._reconstruct'),
                    (numpy_scalar, f'{module}.scalar')]
    return entries


def materialise(obj: Any) -> Any:
    """Replace the stand-ins in a loaded checkpoint by numpy objects.

    Walks dicts (in place), lists (in place), tuples, sets and the
    attributes of :class:`~mmengine.logging.HistoryBuffer`: everything that
    can hold a numpy object in a checkpoint the allow-list admits.

    Args:
        obj: The unpickled checkpoint.

    Returns:
        The checkpoint with real numpy arrays and dtypes.

    Raises:
        Forbidden: A dtype or array whose state never came.
        RecursionError: Nesting deeper than Python's recursion limit.
    """
    # id -> (original, replacement): holding the original keeps its id
    # from being reused by an object made during the walk
    done: Dict[int, Tuple[Any, Any]] = {}

    def walk(item: Any) -> Any:
        if isinstance(item, (DTypeStandIn, ArrayStandIn)):
            return item.built()
        if id(item) in done:
            return done[id(item)][1]
        if isinstance(item, dict):
            done[id(item)] = (item, item)
            for key, value in list(item.items()):
                item[key] = walk(value)
        elif type(item) is list:
            done[id(item)] = (item, item)
            item[:] = [walk(value) for value in item]
        elif type(item) in (tuple, set):
            done[id(item)] = (item, type(item)(walk(v) for v in item))
            return done[id(item)][1]
        elif type(item) is HistoryBuffer:
            done[id(item)] = (item, item)
            attrs = vars(item)
            for key, value in list(attrs.items()):
                attrs[key] = walk(value)
        return item

    return walk(obj)
