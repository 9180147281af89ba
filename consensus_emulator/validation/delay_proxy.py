"""A TCP proxy on loopback that delays every byte by a fixed time in each direction.

Used by `consensus_emulator.validation.etcd` to give a local etcd cluster a LAN-like
one-way latency. Hand-written because the kernel's `netem` qdisc is not available on this
machine's kernel (``tc qdisc add ... netem`` answers "Specified qdisc kind is unknown": the
VM kernel is built without sch_netem and boots with ``nomodule``), and no library in the
project's dependencies delays a TCP stream. Only loopback addresses are listened on and
connected to.

Each accepted connection to ``127.0.0.1:LISTEN`` is connected to ``127.0.0.1:TARGET``;
every chunk read on either side is written to the other side `delay_ms` after it was
read, in order (a chunk never overtakes an earlier one). Run as

    python -m consensus_emulator.validation.delay_proxy --delay-ms 7.5 LISTEN:TARGET [...]

It prints ``ready`` once listening and runs until terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

__all__ = ["serve"]

HOST = "127.0.0.1"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    """Copy reader -> writer, each chunk released `delay_s` after it was read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()

    async def release() -> None:
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        with contextlib.suppress(OSError):
            writer.close()

    releaser = asyncio.create_task(release())
    try:
        while True:
            data = await reader.read(1 << 16)
            if not data:
                break
            queue.put_nowait((loop.time() + delay_s, data))
    except OSError:
        pass
    finally:
        queue.put_nowait((0.0, None))
    with contextlib.suppress(OSError):
        await releaser


async def serve(mapping: list[tuple[int, int]], delay_ms: float) -> None:
    """Listen on each LISTEN port of `mapping` and forward to its TARGET port with the delay."""
    delay_s = delay_ms / 1000.0

    def handler(target: int):
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection(HOST, target)
            except OSError:
                writer.close()
                return
            await asyncio.gather(
                _pipe(reader, up_writer, delay_s), _pipe(up_reader, writer, delay_s), return_exceptions=True
            )

        return on_connect

    servers = [await asyncio.start_server(handler(t), HOST, port) for port, t in mapping]
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, required=True, help="one-way delay per direction (ms)")
    parser.add_argument("pairs", nargs="+", help="LISTEN:TARGET loopback port pairs")
    args = parser.parse_args(argv)
    mapping = []
    for pair in args.pairs:
        listen, _, target = pair.partition(":")
        mapping.append((int(listen), int(target)))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(mapping, args.delay_ms))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
