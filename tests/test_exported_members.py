"""The public facade: one sorted __all__ that matches what the package exports."""

from __future__ import annotations

import governance


def test_all_is_complete() -> None:
    """__all__ names exactly the public attributes imported into the facade, once each (ruff keeps it sorted)."""
    public = {name for name in vars(governance) if not name.startswith("_")} - {"annotations", "TYPE_CHECKING", "Any"}
    modules = {name for name in public if type(getattr(governance, name)).__name__ == "module"}
    assert len(governance.__all__) == len(set(governance.__all__))
    assert set(governance.__all__) - {"__version__"} == (public - modules) | set(governance._LAZY)


def test_import_is_light() -> None:
    """``import governance`` loads neither numpy nor structlog: they come with the first comparison or log event."""
    import subprocess
    import sys

    code = "import sys, governance; print(sorted(m for m in ('numpy', 'structlog', 'rich') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
    code = "import sys, governance; governance.Comparison; print('numpy' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "True"
    )


def test_everything_listed_exists() -> None:
    """Every name in __all__ can be imported."""
    for name in governance.__all__:
        assert hasattr(governance, name), name
