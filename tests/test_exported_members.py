"""The public facade: one sorted __all__ that matches what the package exports."""

from __future__ import annotations

import governance


def test_all_is_complete() -> None:
    """__all__ names exactly the public attributes imported into the facade, once each (ruff keeps it sorted)."""
    public = {name for name in vars(governance) if not name.startswith("_")} - {"annotations"}
    modules = {name for name in public if type(getattr(governance, name)).__name__ == "module"}
    assert len(governance.__all__) == len(set(governance.__all__))
    assert set(governance.__all__) - {"__version__"} == public - modules


def test_everything_listed_exists() -> None:
    """Every name in __all__ can be imported."""
    for name in governance.__all__:
        assert hasattr(governance, name), name
