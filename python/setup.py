# SPDX-License-Identifier: LGPL-2.1-or-later
"""The C extension, mheap._mheap, over libmheap.

The extension is built with libmheap's own source and the uapi header of
the tree this package sits in (../userspace/lib, ../uapi), so it always
matches them: nothing here restates a structure's layout.
"""
import glob
import os

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def tree(*parts):
    return os.path.relpath(os.path.join(TOP, *parts), HERE)


setup(
    ext_modules=[
        Extension(
            'mheap._mheap',
            sources=sorted(glob.glob('src/*.c')) +
            [tree('userspace', 'lib', 'libmheap.c')],
            include_dirs=['src', tree('uapi'), tree('userspace', 'lib')],
            extra_compile_args=['-std=gnu11', '-Wall', '-Wextra', '-Werror',
                                '-Wno-missing-field-initializers',
                                '-fvisibility=hidden'],
        ),
    ],
)
