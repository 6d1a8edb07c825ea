"""Retained acks from two ingest instances end at the stored watermark, whatever the order."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import insert, update

from hailong.protocol import Topics, parse_ack
from hailong.server.ingest.acks import AckPublisher
from hailong.server.storage.db import devices, open_database


@dataclass
class Info:
    mid: int


@dataclass
class Broker:
    """Holds retained acks; messages land only when the test says so, in any order."""

    retained: dict[str, int] = field(default_factory=dict)
    in_flight: list = field(default_factory=list)

    def land(self, index: int = 0) -> tuple:
        """Deliver one in-flight message: retain it and return (sender, mid)."""
        sender, mid, topic, upto = self.in_flight.pop(index)
        self.retained[topic.split("/")[-2]] = upto
        return sender, mid


@dataclass
class Client:
    """The two calls AckPublisher makes of paho, recorded into the fake broker."""

    broker: Broker
    mids: int = 0

    def publish(self, topic, payload, qos, retain):
        assert qos == 1 and retain
        self.mids += 1
        self.broker.in_flight.append((self, self.mids, topic, parse_ack(payload).upto))
        return Info(self.mids)


@pytest.fixture
def engine(database_url):
    engine = open_database(database_url)
    with engine.begin() as conn:
        conn.execute(insert(devices).values(device="k1", acked_upto=0))
    yield engine
    engine.dispose()


def commit(engine, upto: int) -> int:
    with engine.begin() as conn:
        conn.execute(update(devices).values(acked_upto=upto))
    return upto


def test_a_lower_ack_landing_last_is_replaced_by_the_stored_one(engine):
    broker = Broker()
    a, b = Client(broker), Client(broker)
    pub = {id(a): AckPublisher(a, Topics()), id(b): AckPublisher(b, Topics())}
    pub[id(a)].publish("k1", commit(engine, 5))
    pub[id(b)].publish("k1", commit(engine, 9))
    landed = [broker.land(1), broker.land(0)]  # b's 9 overtakes a's 5
    assert broker.retained == {"k1": 5}
    for sender, mid in landed:  # the PUBACKs come back; each instance checks the database
        pub[id(sender)].on_puback(mid)
        pub[id(sender)].settle(engine)
    while broker.in_flight:
        sender, mid = broker.land()
        pub[id(sender)].on_puback(mid)
        pub[id(sender)].settle(engine)
    assert broker.retained == {"k1": 9}


def test_an_instance_alone_publishes_each_ack_once(engine):
    broker = Broker()
    client = Client(broker)
    acks = AckPublisher(client, Topics())
    for upto in (3, 7):
        acks.publish("k1", commit(engine, upto))
        acks.on_puback(broker.land()[1])
        assert acks.settle(engine) == {"k1": upto}
    assert broker.in_flight == [] and client.mids == 2
