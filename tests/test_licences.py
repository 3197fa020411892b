"""Licence ids and SPDX expressions."""

from __future__ import annotations

import pytest

from governance.licences import is_foss, licence_flags, spdx_expression_holds


class TestLicences:
    """OSI-approved or FSF-libre licences are free and open source; expressions combine them."""

    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            ("Apache-2.0", True),
            ("MIT", True),
            ("GPL-3.0-or-later", True),
            ("LicenseRef-Llama-3.1-Community", False),
            ("CC-BY-NC-4.0", False),
            ("Apache-2.0 OR LicenseRef-Proprietary", True),
            ("MIT AND LicenseRef-Proprietary", False),
            ("GPL-2.0-only WITH Classpath-exception-2.0", True),
            ("(MIT OR Apache-2.0) AND BSD-3-Clause", True),
            ("(MIT", False),
            ("MIT AND", False),
            (None, False),
            ("", False),
        ],
    )
    def test_is_foss(self, expression: str | None, expected: bool) -> None:
        """Each expression is judged as its operators say; malformed text never qualifies."""
        assert is_foss(expression) is expected

    def test_flags_from_the_spdx_list(self) -> None:
        """The SPDX list marks Apache-2.0 OSI-approved and knows nothing of made-up ids."""
        flags = licence_flags("Apache-2.0")
        assert flags is not None
        assert flags["osi"]
        assert licence_flags("Not-A-Licence") is None

    def test_custom_test(self) -> None:
        """Any per-id test can be applied to an expression."""
        assert spdx_expression_holds("A OR B", lambda i: i == "B")
        assert not spdx_expression_holds("A AND B", lambda i: i == "B")
