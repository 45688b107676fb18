"""Builds the compiled modules (see src/journeysim/compiled.py): journeysim._columns (the event
log's column buffers) and journeysim._loop (the event loop).

Everything else is declared in pyproject.toml.  The modules are optional: without a C compiler
the package installs without them and runs their pure-Python originals instead (slower, and
byte-identical in what it writes).
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

MODULES = ("_columns", "_loop")  # as journeysim.compiled.MODULES

setup(ext_modules=cythonize([Extension(f"journeysim.{name}", [f"src/journeysim/{name}.pyx"], optional=True)
                             for name in MODULES], language_level=3))
