# SPDX-License-Identifier: LGPL-2.1-or-later
"""What needs no /dev/mheap: docstrings, the type stub against the module,
and errors before any heap exists. Runs on the host (make check's host
suite) and in the VM."""
import ast
import errno
import inspect
import os

import pytest

import mheap

STUB = os.path.join(os.path.dirname(mheap.__file__), '__init__.pyi')
CLASSES = ['Heap', 'Object', 'Client', 'GC', 'Garbage', 'Names', 'ref',
           'Event', 'Events', 'Batch', 'Pending', 'Scope']


def public(cls):
    """The public names mheap's own classes define (not tuple's or the
    collections.abc mixins')."""
    names = set()
    for c in cls.__mro__:
        if c.__module__.startswith('mheap'):
            names |= {n for n in vars(c) if not n.startswith('_')}
    return sorted(names)


def stub_classes():
    tree = ast.parse(open(STUB, encoding='utf-8').read())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AnnAssign)):
                    name = (item.name if isinstance(item, ast.FunctionDef)
                            else getattr(item.target, 'id', ''))
                    if not name.startswith('_'):
                        names.add(name)
            out[node.name] = names
    return out


@pytest.mark.parametrize('name', CLASSES)
def test_documented(name):
    cls = getattr(mheap, name)
    assert inspect.getdoc(cls), f'{name} has no docstring'
    for attr in public(cls):
        if attr in ('DEBUG_SAVEALL', 'gc', 'names', 'capacity', 'closed'):
            continue                            # data, not functions
        assert inspect.getdoc(getattr(cls, attr)), f'{name}.{attr}'


@pytest.mark.parametrize('name', CLASSES)
def test_stub_matches_module(name):
    stub = stub_classes()
    assert name in stub, f'{name} is not in __init__.pyi'
    runtime = set(public(getattr(mheap, name)))
    if name == 'Heap':
        runtime |= {'gc', 'names'}              # set by __init__
    if name in ('Events', 'Scope'):
        runtime |= {'capacity'} if name == 'Events' else {'closed'}
    assert stub[name] == runtime


def test_all_names_exist():
    for name in mheap.__all__:
        assert hasattr(mheap, name), name


def test_missing_device():
    with pytest.raises(FileNotFoundError) as e:
        mheap.Heap('/dev/no-such-mheap')
    assert e.value.filename == '/dev/no-such-mheap'


def test_not_a_heap():
    fd = os.open('/dev/null', os.O_RDWR)
    try:
        with pytest.raises(OSError) as e:
            mheap.Heap(fd=fd)
        assert e.value.errno == errno.ENOTTY
        assert 'not a client of a heap' in str(e.value)
        os.fstat(fd)                            # still the caller's
    finally:
        os.close(fd)
    with pytest.raises(OSError) as e:
        mheap.Heap('/dev/null')
    assert e.value.errno == errno.ENOTTY


def test_bad_descriptor():
    with pytest.raises(OSError) as e:
        mheap.Heap(fd=10**6)
    assert e.value.errno == errno.EBADF


def test_bad_arguments():
    with pytest.raises(TypeError):
        mheap.Heap(3)  # type: ignore[arg-type]  # a path is a str
    with pytest.raises(TypeError):
        mheap.Heap(fd='3')  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mheap.ref(None)                         # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mheap.Batch(None)                       # type: ignore[arg-type]
