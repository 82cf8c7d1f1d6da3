"""A live baas whose push credentials point at the loopback fakes of FCM and APNs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests import services
from tests.push.fakes import FakeApns, FakeFcm, pem, self_signed
from tests.webhooks.live import Stack, live_stack


@dataclass
class PushRig:
    stack: Stack
    fcm: FakeFcm
    apns: FakeApns


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushRig]:
    tmp = tmp_path_factory.mktemp("push-live")
    fcm = FakeFcm(services.free_port())
    cert, key = self_signed(tmp)
    apns = FakeApns(services.free_port(), cert, key)
    fcm.start()
    apns.start()
    credentials = tmp / "service-account.json"
    credentials.write_text(fcm.service_account())
    try:
        with live_stack(
            tmp,
            BAAS_FCM_PROJECT_ID=fcm.project,
            BAAS_FCM_CREDENTIALS=str(credentials),
            BAAS_FCM_ENDPOINT=fcm.url,
            BAAS_APNS_KEY_ID=apns.key_id,
            BAAS_APNS_TEAM_ID=apns.team_id,
            BAAS_APNS_KEY=pem(apns.signing_key),
            BAAS_APNS_TOPIC=apns.topic,
            BAAS_APNS_ENDPOINT=apns.url,
            BAAS_APNS_CA_FILE=str(cert),
            BAAS_PUSH_BACKOFF="0.3",
        ) as stack:
            yield PushRig(stack, fcm, apns)
    finally:
        fcm.stop()
        apns.stop()
