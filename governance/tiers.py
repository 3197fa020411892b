"""Release tiers, ordered from most to least open."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Tier"]


class Tier(StrEnum):
    """The release tier a decision warrants.

    ``open``: weights and listed components may be published openly. ``staged``: release in steps,
    hosted or API access first, wider access later, each step gated by conditions. ``restricted``: no
    open weights; access only through a controlled interface, or no external deployment at all.
    Tiers are ordered ``open < staged < restricted``; comparisons use that order.
    """

    OPEN = "open"
    STAGED = "staged"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        """0 for ``open``, 1 for ``staged``, 2 for ``restricted``."""
        return _RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> Tier:
        """Return the tier with the given rank."""
        return _ORDER[rank]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return _RANK[self] < _RANK[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return _RANK[self] <= _RANK[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return _RANK[self] > _RANK[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return _RANK[self] >= _RANK[other]


_ORDER = (Tier.OPEN, Tier.STAGED, Tier.RESTRICTED)
_RANK = {tier: index for index, tier in enumerate(_ORDER)}
