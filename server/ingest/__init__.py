"""MQTT intake: receive presses, classify them, commit them in batches, then acknowledge.

It owns the collector's MQTT client (`client`), the pure sorting of each message (`intake`), the ack
watermark computed from the database (`watermark`), the retained ack publisher (`acks`), recovery
after a restored database (`recovery`), the one-shot Config push used by the pages (`push`) and the
process that ties them together (`process`). It writes through `storage.batch` and nothing else.
"""
