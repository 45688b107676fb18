"""Builds the one compiled module, journeysim._columns (the event log's column buffers).

Everything else is declared in pyproject.toml.  The module is optional: without a C compiler
the package installs without it and the event log buffers rows in Python lists instead
(slower, and byte-identical in what it writes).
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize([Extension("journeysim._columns", ["src/journeysim/_columns.pyx"], optional=True)],
                            language_level=3))
