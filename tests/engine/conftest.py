"""LibreOffice-backed tests: skipped cleanly where soffice is not installed."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.office import find_soffice


@pytest.fixture(scope="session")
def soffice() -> Path:
    found = find_soffice()
    if found is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return found
