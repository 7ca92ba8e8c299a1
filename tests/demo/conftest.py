from __future__ import annotations

import pytest

from leadscore.demo import DemoData, generate


@pytest.fixture(scope="package")
def data() -> DemoData:
    """A few thousand contacts: enough for the statistics, still well under a second."""
    return generate(4000, seed=11)
