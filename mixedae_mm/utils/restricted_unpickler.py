"""A pickle module for ``torch.load(..., pickle_module=...)`` that admits
exactly the checkpoint allow-list: the safe loader of torch < 2.6.

torch 2.0 - 2.5 have ``torch.load(weights_only=True)`` but no way (before
2.4), or no complete way (2.4, 2.5: no ``(object, name)`` entries), to
extend its allow-list, so mmengine checkpoints cannot load weights-only
there.  This module gives them the same guarantee through the one hook every
torch >= 1.x has, ``pickle_module``: its :class:`Unpickler` is Python's own
unpickler cut down to what torch's weights-only unpickler does --

- the same opcodes (those ``torch.save``'s default protocol 2 writes; any
  other is ``Unsupported operand``, as in torch);
- globals only from :func:`~.checkpoint_allow_list.allowed_globals` (torch's
  default weights-only globals plus the checkpoint allow-list), looked up by
  name, never imported;
- ``REDUCE`` / ``NEWOBJ`` only of allowed globals, ``BUILD`` only of
  tensors, ``OrderedDict`` and instances of allowed classes, ``APPEND`` only
  to lists, ``SETITEM`` only into dicts, persistent ids only of storages.

A violation raises :class:`~.checkpoint_errors.Forbidden`.
"""
import _compat_pickle
import pickle
from collections import Counter, OrderedDict
from typing import Any, Callable, Dict

import torch

from .checkpoint_allow_list import allowed_globals
from .checkpoint_errors import Forbidden

__all__ = ['Unpickler', 'load', 'UnpicklingError']

UnpicklingError = pickle.UnpicklingError

# the opcodes of torch's weights-only unpickler whose Python implementation
# needs no check (stack, memo and plain values)
_PLAIN_OPCODES = (
    pickle.PROTO, pickle.STOP, pickle.MARK, pickle.NONE, pickle.NEWFALSE,
    pickle.NEWTRUE, pickle.EMPTY_TUPLE, pickle.EMPTY_LIST, pickle.EMPTY_DICT,
    pickle.EMPTY_SET, pickle.BININT, pickle.BININT1, pickle.BININT2,
    pickle.BINFLOAT, pickle.BINUNICODE, pickle.SHORT_BINSTRING, pickle.LONG1,
    pickle.TUPLE, pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3, pickle.BINGET,
    pickle.LONG_BINGET, pickle.BINPUT, pickle.LONG_BINPUT)


class _Dispatch(dict):
    """Opcode table: an opcode it lacks is refused, as torch does."""

    def __missing__(self, code: int) -> Callable:

        def unsupported(unpickler):
            raise pickle.UnpicklingError(f'Unsupported operand {code}')

        return unsupported


class Unpickler(pickle._Unpickler):
    """Python's unpickler restricted to the checkpoint allow-list (see the
    module docstring). Same arguments as :class:`pickle.Unpickler`."""

    dispatch: Dict[int, Callable] = _Dispatch(
        {op[0]: pickle._Unpickler.dispatch[op[0]]
         for op in _PLAIN_OPCODES})

    def __init__(self, file, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self._allowed = allowed_globals()
        self._allowed_ids = {id(obj) for obj in self._allowed.values()}

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names, as torch's weights-only unpickler maps them
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f'{module}.{name}'
        if full not in self._allowed:
            raise Forbidden(f'GLOBAL {full} is not on the allow-list', full)
        return self._allowed[full]

    def _is_allowed(self, obj: Any) -> bool:
        return id(obj) in self._allowed_ids

    def load_global(self) -> None:
        module = self.readline()[:-1].decode('utf-8')
        name = self.readline()[:-1].decode('utf-8')
        self.append(self.find_class(module, name))

    def load_reduce(self) -> None:
        args = self.stack.pop()
        func = self.stack[-1]
        if not self._is_allowed(func) or type(args) is not tuple:
            raise Forbidden(f'calling {func!r} is not on the allow-list')
        self.stack[-1] = func(*args)

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        if cls is torch.nn.Parameter and type(args) is tuple:
            self.append(torch.nn.Parameter(*args))
        elif self._is_allowed(cls) and isinstance(cls, type) and \
                type(args) is tuple:
            self.append(cls.__new__(cls, *args))
        else:
            raise Forbidden(f'creating {cls!r} is not on the allow-list')

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        kind = type(inst)
        if kind is torch.Tensor:  # legacy tensors, as torch does
            inst.set_(*state)
        elif kind is torch.nn.Parameter:
            inst.__setstate__(state)
        elif kind is OrderedDict:
            inst.__dict__.update(state)
        elif self._is_allowed(kind):
            if hasattr(inst, '__setstate__'):
                inst.__setstate__(state)
                return
            slots = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slots = state
            if state:
                inst.__dict__.update(state)
            if slots:
                for key, value in slots.items():
                    setattr(inst, key, value)
        else:
            raise Forbidden(f'setting the state of {kind!r} is not on the '
                            'allow-list')

    def _list_target(self) -> list:
        target = self.stack[-1]
        if type(target) is not list:
            raise Forbidden(f'appending to {type(target)!r}: only lists')
        return target

    def load_append(self) -> None:
        item = self.stack.pop()
        self._list_target().append(item)

    def load_appends(self) -> None:
        items = self.pop_mark()
        self._list_target().extend(items)

    def _dict_target(self) -> dict:
        target = self.stack[-1]
        if type(target) not in (dict, OrderedDict, Counter):
            raise Forbidden(f'setting items of {type(target)!r}: only dicts')
        return target

    def load_setitem(self) -> None:
        value = self.stack.pop()
        key = self.stack.pop()
        self._dict_target()[key] = value

    def load_setitems(self) -> None:
        items = self.pop_mark()
        target = self._dict_target()
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def load_binpersid(self) -> None:
        pid = self.stack.pop()
        storage = type(pid) is int or (
            type(pid) is tuple and len(pid) > 0 and
            torch.serialization._maybe_decode_ascii(pid[0]) == 'storage')
        if not storage:
            raise Forbidden(f'persistent id {pid!r:.60}: only storages')
        self.append(self.persistent_load(pid))


# the opcodes this class checks
Unpickler.dispatch.update({
    pickle.GLOBAL[0]: Unpickler.load_global,
    pickle.REDUCE[0]: Unpickler.load_reduce,
    pickle.NEWOBJ[0]: Unpickler.load_newobj,
    pickle.BUILD[0]: Unpickler.load_build,
    pickle.APPEND[0]: Unpickler.load_append,
    pickle.APPENDS[0]: Unpickler.load_appends,
    pickle.SETITEM[0]: Unpickler.load_setitem,
    pickle.SETITEMS[0]: Unpickler.load_setitems,
    pickle.BINPERSID[0]: Unpickler.load_binpersid,
})


def load(file, **kwargs) -> Any:
    """``pickle.load`` with :class:`Unpickler` (torch's legacy format reads
    its header pickles with it)."""
    return Unpickler(file, **kwargs).load()
