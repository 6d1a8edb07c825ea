"""MQTT intake: receive presses, classify them, commit them in batches, then acknowledge.

It owns the collector's MQTT client (`client`), the pure sorting of each message (`intake`), the ack
watermark computed from the database (`watermark`), the retained ack publisher (`acks`), recovery
after a restored database (`recovery`), the one-shot Config push used by the pages (`push`), the
signing keys (`keys`), the free-space floor (`space`), the state row the pages judge ingest by
(`state`), its running counts (`totals`) and the process that ties them together (`process`). It
writes through `storage.batch` (and `storage.quarantine`) and nothing else.
"""
