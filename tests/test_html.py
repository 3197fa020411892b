"""Notebook rendering: decisions as escaped, self-contained HTML."""

from __future__ import annotations

import datetime as dt
import re

from governance import decide
from governance._html import decision_html
from tests.helpers import COMPUTE_RULES, make_candidate, make_policy

AS_OF = dt.date(2026, 11, 28)
HOSTILE = '<script>alert("x")</script>'


def assert_self_contained(html: str) -> None:
    """No script, no element that loads anything, no unescaped hostile text."""
    assert "<script" not in html.lower()
    assert not re.search(r"<(img|link|iframe|object|embed|style|audio|video|source)\b", html, re.IGNORECASE)
    assert not re.search(r"\b(src|href)\s*=", html, re.IGNORECASE)
    assert "url(" not in html


class TestDecisionHtml:
    """Decision._repr_html_."""

    def test_escapes_hostile_names(self) -> None:
        """A model name and developer carrying markup are shown as text, never run."""
        candidate = make_candidate(3e26, model={"name": HOSTILE, "developer": "<b>Lab</b>"})
        html = decide(candidate, make_policy(COMPUTE_RULES), as_of=AS_OF)._repr_html_()
        assert_self_contained(html)
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html

    def test_shows_the_decision(self) -> None:
        """Tier, fired rules with the value read, labels and the nearest threshold are in the fragment."""
        decision = decide(make_candidate(3e25, capabilities={"bio": 0.1}), make_policy(COMPUTE_RULES), as_of=AS_OF)
        html = decision._repr_html_()
        assert html == decision_html(decision)
        assert html.count(">staged</b>") >= 2  # the tier and the rule that set it
        assert "over-1e25" in html
        assert "training_flop &gt;= 1e+25 (value 3e+25)" in html
        assert "labels: big" in html
        assert "how close to flipping" in html

    def test_shows_not_ruled_out_when_present(self) -> None:
        """A decision listing not_ruled_out rules (decision format 2) shows them with what settles them."""
        decision = decide(make_candidate(None), make_policy(COMPUTE_RULES), as_of=AS_OF)
        entry = {"rule": "r<1>", "tier": "restricted", "waiting_on": ["training_flop"], "settle": "supply <compute>"}
        decision._document = {**decision.document(), "not_ruled_out": [entry]}
        html = decision._repr_html_()
        assert "not ruled out" in html
        assert "r&lt;1&gt;" in html and "supply &lt;compute&gt;" in html
        assert_self_contained(html)
