"""The halving time of compute for fixed performance: the one empirical input of compute ageing.

Kept apart from :mod:`governance.compare.ageing` (which needs numpy) so that the CLI can show the
defaults without loading the comparison machinery.
"""

from __future__ import annotations

__all__ = ["HALVING_BAND", "HALVING_MONTHS", "HALVING_SOURCE"]

HALVING_MONTHS = 8.0
"""Central estimate of the halving time of compute for fixed performance, in months (Ho et al. 2024)."""
HALVING_BAND = (5.0, 14.0)
"""The 95% confidence interval of the halving time, in months (Ho et al. 2024)."""
HALVING_SOURCE = (
    "Ho et al., Algorithmic progress in language models (Epoch AI, 12 Mar 2024, arXiv 2403.05812): "
    "compute for fixed performance halves about every 8 months (95% CI 5-14)"
)
