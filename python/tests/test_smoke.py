# SPDX-License-Identifier: LGPL-2.1-or-later
"""The pipeline's smoke tests: the package imports, the device opens."""
import importlib
import os

import pytest


def test_import_package():
    import mheap
    assert mheap.__name__ == 'mheap'


def test_import_extension():
    # the C extension (libmheap linked in) loads with this interpreter
    importlib.import_module('mheap._mheap')


@pytest.mark.skipif(not os.path.exists('/dev/mheap'),
                    reason='no /dev/mheap (mheap.ko not loaded)')
def test_open_device():
    with open('/dev/mheap', 'rb+', buffering=0) as f:
        assert f.fileno() >= 0
