"""A TCP relay standing for a commune's WAN link: killed by PID to cut it, started again to restore.

Run as `python -m tests.integration.tcp_proxy LISTEN_PORT TARGET_PORT` (127.0.0.1 only). Bytes are
relayed untouched (the bridge's TLS runs through it). SIGKILL closes every connection at once, as
a link that goes down does; nothing is buffered that a restart could replay.
"""

from __future__ import annotations

import asyncio
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes one way until either side closes."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def relay(target: int, reader, writer) -> None:
    """Connect the accepted client to the target and copy both ways."""
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        writer.close()
        return
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def serve(listen: int, target: int) -> None:
    """Accept on 127.0.0.1:listen forever."""
    server = await asyncio.start_server(lambda r, w: relay(target, r, w), "127.0.0.1", listen,
                                        reuse_address=True)  # fmt: skip
    print(f"relaying 127.0.0.1:{listen} -> 127.0.0.1:{target}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))
