"""Topic names: builders, the parser, and the device id rules."""

import pytest

from hailong.protocol import DEFAULT_PREFIX, ProtocolError, TopicName, Topics, check_device_id

KINDS = ("press", "ack", "status", "health", "config")


def test_default_prefix_builders():
    topics = Topics()
    assert topics.prefix == DEFAULT_PREFIX == "hailong/v1"
    assert topics.press("k1") == "hailong/v1/k1/press"
    assert topics.ack("k1") == "hailong/v1/k1/ack"
    assert topics.status("k1") == "hailong/v1/k1/status"
    assert topics.health("k1") == "hailong/v1/k1/health"
    assert topics.config("k1") == "hailong/v1/k1/config"
    assert topics.collector_status == "hailong/v1/collector/status"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("device", ["k1", "0", "hcm-q1-quay-07", "a" * 32])
def test_builders_and_parser_round_trip(kind, device):
    topics = Topics("province/hn/hailong/v1")
    topic = getattr(topics, kind)(device)
    assert topic == f"province/hn/hailong/v1/{device}/{kind}"
    assert topics.parse(topic) == TopicName(device, kind)


def test_collector_status_parses_to_device_none():
    topics = Topics()
    assert topics.parse("hailong/v1/collector/status") == TopicName(None, "status")
    assert topics.parse(topics.collector_status).device is None


@pytest.mark.parametrize("kind", ["press", "ack", "health", "config"])
def test_collector_is_not_a_device_on_other_kinds(kind):
    with pytest.raises(ProtocolError) as caught:
        Topics().parse(f"hailong/v1/collector/{kind}")
    assert caught.value.field == "topic"
    assert "reserved" in caught.value.problem


@pytest.mark.parametrize("kind", KINDS)
def test_wildcard_filters(kind):
    assert Topics().all_of(kind) == f"hailong/v1/+/{kind}"


def test_unknown_kind_has_no_filter():
    with pytest.raises(ProtocolError) as caught:
        Topics().all_of("presses")
    assert caught.value.field == "kind"


@pytest.mark.parametrize(
    "topic",
    [
        "hailong/v2/k1/press",
        "other/v1/k1/press",
        "hailong/v1k1/press",
        "hailong/v1",
        "/hailong/v1/k1/press",
        "",
    ],
)
def test_wrong_prefix_is_rejected(topic):
    with pytest.raises(ProtocolError) as caught:
        Topics().parse(topic)
    assert caught.value.field == "topic"
    assert "prefix" in caught.value.problem


@pytest.mark.parametrize(
    "topic",
    [
        "hailong/v1/k1/presses",
        "hailong/v1/k1/press/extra",
        "hailong/v1/k1",
        "hailong/v1/k1/",
        "hailong/v1//press",
        "hailong/v1/K1/press",
        "hailong/v1/+/press",
        "hailong/v1/#",
        "hailong/v1/-k1/press",
        "hailong/v1/collector/status/x",
    ],
)
def test_malformed_topics_are_rejected(topic):
    with pytest.raises(ProtocolError) as caught:
        Topics().parse(topic)
    assert caught.value.field == "topic"


def test_non_string_topic_is_rejected():
    with pytest.raises(ProtocolError):
        Topics().parse(b"hailong/v1/k1/press")


@pytest.mark.parametrize("prefix", ["", "/hailong", "hailong/", "hail+ong", "hailong/#", "a\0b"])
def test_bad_prefix_is_rejected(prefix):
    with pytest.raises(ProtocolError) as caught:
        Topics(prefix)
    assert caught.value.field == "prefix"


@pytest.mark.parametrize("prefix", ["hailong/+/v1", "site/#"])
def test_wildcard_in_prefix_is_named(prefix):
    with pytest.raises(ProtocolError) as caught:
        Topics(prefix)
    assert "wildcard" in caught.value.problem


@pytest.mark.parametrize("device", ["k1", "0", "9-a", "a" * 32, "quay-01"])
def test_good_device_ids(device):
    assert check_device_id(device) == device


@pytest.mark.parametrize(
    "device",
    ["", "K1", "-k1", "k_1", "k 1", "k1\n", "a" * 33, "kiosk/1", "kiosk+", "đ1", 1, None],
)
def test_bad_device_ids(device):
    with pytest.raises(ProtocolError) as caught:
        check_device_id(device, "press.device")
    assert caught.value.field == "press.device"


def test_reserved_device_id():
    with pytest.raises(ProtocolError) as caught:
        check_device_id("collector")
    assert caught.value.field == "device"
    assert "reserved" in caught.value.problem
    with pytest.raises(ProtocolError):
        Topics().press("collector")
    assert check_device_id("collector-2") == "collector-2"
