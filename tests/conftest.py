"""Test-suite wide configuration.

* Hypothesis profiles: ``ci`` (default; 200 examples, no deadline: the 2-core CI box is shared and
  timings are noise; derandomized, so a CI run is reproducible), ``explore`` (the same, with
  fresh random examples) and ``thorough`` (2000 fresh examples), chosen with
  ``HYPOTHESIS_PROFILE``.
* An autouse fixture that fails every test during which Python reported an exception it could
  not raise ("Exception ignored in ..."): an error inside a Cython ``cdef`` function without an
  ``except`` clause, or in a ``__del__``, is otherwise only printed, and a broken kernel would
  pass its tests (DESIGN.md section 5, item 5).
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

# When a hypothesis test fails, its pytest plugin imports hypothesis.extra._patching (libcst) to
# suggest an @example patch; with this environment's mypy_extensions that import warns
# DeprecationWarning, which "filterwarnings = error" turns into a pytest INTERNALERROR that hides
# the real failure.  Importing it once here, warnings silenced, caches the module.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst not installed: the plugin then skips the patch
        pass

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=200,
    # the gate must not depend on a random seed: CI explores the same examples every run;
    # "thorough" (and "explore") search afresh each time
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", parent=settings.get_profile("ci"), max_examples=2000, derandomize=False
)
settings.register_profile("explore", parent=settings.get_profile("ci"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _describe_unraisable(u: sys.UnraisableHookArgs) -> str:
    # Format at once: keeping ``u.object`` or the traceback alive could resurrect the object.
    head = u.err_msg or "Exception ignored in"
    where = f"{head}: {u.object!r}" if u.object is not None else head
    tb = "".join(traceback.format_exception(u.exc_type, u.exc_value, u.exc_traceback))
    return f"{where}\n{tb}"


@pytest.fixture(autouse=True)
def fail_on_unraisable_exception() -> Iterator[None]:
    """Record exceptions reported through ``sys.unraisablehook`` during the test; fail at
    teardown with what was recorded."""
    recorded: list[str] = []
    previous = sys.unraisablehook

    def hook(u: sys.UnraisableHookArgs) -> None:
        recorded.append(_describe_unraisable(u))

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous
    if recorded:
        pytest.fail(
            f"{len(recorded)} exception(s) swallowed during the test "
            "(sys.unraisablehook):\n" + "\n".join(recorded),
            pytrace=False,
        )
