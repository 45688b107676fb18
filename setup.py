"""Builds the compiled modules (see src/journeysim/compiled.py): journeysim._columns (the event
log's column buffers), journeysim._rng (random streams) and journeysim.engine._loop (the
engine's event loop).

Everything else is declared in pyproject.toml.  The modules are optional: where one cannot be
built (no C compiler, say), the install says so and goes on, and journeysim runs the module's
pure-Python original instead (slower, and byte-identical in what it writes).
"""

from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PACKAGE = Path("src/journeysim")
SOURCES = sorted(PACKAGE.rglob("*.pyx"))  # journeysim.compiled.MODULES (a test keeps them equal)


def module_name(path: Path) -> str:
    """journeysim.engine._loop for src/journeysim/engine/_loop.pyx."""
    return "journeysim." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


class OptionalBuildExt(build_ext):
    """build_ext that warns, rather than fails, when a compiled module cannot be built, and then
    leaves that module out of what is installed."""

    def build_extensions(self):
        self.check_extensions_list(self.extensions)
        built = []
        for ext in self.extensions:
            try:
                self.build_extension(ext)
                built.append(ext)
            except Exception as exc:  # the compiler's errors take several forms
                self.warn(f"{ext.name} was not built ({exc}); journeysim will run its pure-Python original")
        self.extensions[:] = built


setup(
    ext_modules=cythonize([Extension(module_name(path), [path.as_posix()]) for path in SOURCES]),
    cmdclass={"build_ext": OptionalBuildExt},
)
