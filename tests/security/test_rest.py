"""REST, the reference: every attacker and probe gets exactly the outcome of the table."""

from __future__ import annotations

import pytest

from tests.security.conftest import ATTACKERS
from tests.security.probes import PROBES, Probe, rest_list

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("probe", PROBES, ids=str)
def test_list_probes(world, probe: Probe):
    got = {actor: rest_list(world, actor, probe) for actor in ATTACKERS}
    assert got == {actor: probe.expected(actor) for actor in ATTACKERS}
    if probe.owner is not None:
        assert rest_list(world, "owner", probe) == probe.owner
