"""Build hook for the optional C speed-ups; all other metadata lives in pyproject.toml.

``dupdetect._speedups`` compiles the per-document hashing, shingling and MinHash loops. It is
optional: without a C compiler the install still succeeds and dupdetect runs the numpy
versions of the same functions (same results, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dupdetect._speedups",
            sources=["dupdetect/_speedups.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
