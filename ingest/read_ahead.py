"""Reading ahead for the command line: a child process reads and checks the next batch of rows
while this process writes the current one.

Reading and checking a call leg costs Python time (about 5 µs on the fast path, NDJSON or CSV;
20 µs or more for a row the full validator must judge) that in one process takes turns with the
database's work. In a forked child the two run on two cores at once: for call legs the child
also validates every row and counts what the batch adds to the rollups (calling.batch_figures),
so the command only resolves customers and writes. The child stays at
most one batch ahead (the pipe blocks it), so memory stays flat whatever the size of the file.

The child only reads: it never touches a database connection it inherited, never collects what
it inherited (frozen at the fork), and leaves through `os._exit` (multiprocessing's fork start),
so nothing of ours is closed or flushed by it. Checked call legs, almost every row of a large
file, cross the pipe as MessagePack (decoding them costs a microsecond each, a fifth of
pickling); rejected lines, and other kinds' rows, are pickled. Where every region loads by COPY
(PostgreSQL), a batch of new legs also goes as their rows in COPY's text format, which the
writer passes on without decoding the legs (calling.copy_rows). A thread of this process receives
and decodes the next batch while the caller writes the current one: the database's work
(SQLite's steps, waiting on PostgreSQL) releases the interpreter's lock."""

import ctypes
import ctypes.util
import gc
import multiprocessing
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from functools import partial
from itertools import islice
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

import msgspec

from calling.batch_figures import BatchFigures, Counted, count_new_legs
from calling.copy_rows import copy_text
from partnerhub.collector import collector_paused

from .fast_legs import UNKNOWN_PARTNER, CheckedLeg, ReadyLegs
from .formats import Item
from .services import checked_call_legs
from .sources import RowSource

_encode = msgspec.msgpack.Encoder().encode
_decode_legs = msgspec.msgpack.Decoder(list[CheckedLeg]).decode
_decode_figures = msgspec.msgpack.Decoder(BatchFigures).decode

_BATCH, _COUNTED, _END, _FAILED = "batch", "counted", "end", "failed"

# glibc's mallopt parameters, and their defaults, which glibc otherwise raises as it goes: the size
# from which a block gets a mapping of its own, and the free space at the top of its heap that
# it keeps rather than return.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MAPPED_FROM = TRIMMED_FROM = 128 * 1024


def map_large_blocks() -> bool:
    """Give every block of MAPPED_FROM bytes or more a mapping of its own, returned to the system
    when freed; False where the C library is not glibc. A batch crosses the pipe as one message of
    tens of MB, in buffers of a different size each time. glibc by default raises its threshold
    to the size of a large block once one is freed, so the next ones come from its heap, where
    what is freed stays resident between smaller blocks still in use: the peak of a 1 M-leg run
    varied from 372 to 431 MB, and 345 to 383 MB with the threshold fixed (docs/benchmarks.md)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        libc = None
    if libc is None or not hasattr(libc, "mallopt") or not hasattr(libc, "gnu_get_libc_version"):
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MAPPED_FROM) and libc.mallopt(_M_TRIM_THRESHOLD, TRIMMED_FROM))


def _read(
    source: RowSource, batch_size: int, first_batch: int, partner_id: int, copy_ready: bool, out: Connection
) -> None:
    """The child: send each batch as (checked legs, other items, whether its legs are counted,
    for legs made ready for COPY their rows as COPY text, the customers they name and how many
    they are, else None), then its counted figures if they are, and at the end the ignored
    columns."""
    # Ctrl-C reaches the whole process group: the command stops us, one traceback is enough.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        items: Iterator[Item] = iter(source)
        if source.kind == "call-legs":
            items = checked_call_legs(items, partner_id)
        size = first_batch
        while True:
            # A batch's tens of thousands of rows and figures are freed as a whole once sent.
            with collector_paused():
                if not (batch := list(islice(items, size))):
                    break
                size = min(size * 2, batch_size)
                _send_batch(batch, out, copy_ready)
        out.send((_END, source.ignored_columns))
    except Exception as error:  # whatever stopped the reading is the parent's to raise
        try:
            out.send((_FAILED, error))
        except Exception:  # one that cannot be pickled still has a message
            out.send((_FAILED, RuntimeError(f"{type(error).__name__}: {error}")))
    finally:
        out.close()


def _send_batch(batch: list[Item], out: Connection, copy_ready: bool = False) -> None:
    """Send a batch's checked legs and other items, then the legs' figures if they can be counted.
    With `copy_ready`, a batch of countable legs none of which names its site by name goes with
    its rows as COPY text, in leg-id order, and the customers it names (ReadyLegs)."""
    legs = [item for item in batch if isinstance(item, CheckedLeg)]
    others = [item for item in batch if not isinstance(item, CheckedLeg)] if len(legs) < len(batch) else []
    # The legs first, so that the writing starts while their figures are counted.
    countable = bool(legs) and len({leg.row[2] for leg in legs}) == len(legs)
    ready = None
    if copy_ready and countable and not any(leg.location_name for leg in legs):
        text = copy_text(leg.row for leg in sorted(legs, key=_leg_id))
        ready = (text, sorted({leg.org_hex for leg in legs}), len(legs))
    out.send((_BATCH, _encode(legs), pickle.dumps(others, protocol=pickle.HIGHEST_PROTOCOL), countable, ready))
    if countable:
        out.send((_COUNTED, _encode(count_new_legs(leg.counted_row for leg in legs))))


def _leg_id(leg: CheckedLeg) -> str:
    return str(leg.row[2])


def _figures_of(sent: "Future[bytes]") -> Counted:
    """What returns a batch's figures, decoded once they have been sent."""
    return lambda: _decode_figures(sent.result())


class ReadBatch(NamedTuple):
    """A batch of items and, for call legs, what returns its checked legs' figures
    (calling.batch_figures) once the reading process has counted them: None for a batch that
    repeats a leg id, which only the database can settle. Checked legs made ready for COPY
    are in `ready`, not among the items."""

    items: list[Item]
    counted: Counted | None
    ready: ReadyLegs | None = None


class ReadAhead:
    """The batches of a RowSource, read in a child process one batch ahead of the caller, which
    the `with` block owns: leaving it stops the child, however the block ends.

    For call legs a batch holds the rejected lines, then the checked legs in line order, their
    rows those of legs of `partner_id`'s customers (ingest.fast_legs.CheckedLeg); other
    kinds' items keep their order. With `first_batch`, the first batch holds that many rows and
    each next one twice as many, up to `batch_size`. Once the batches are all read,
    `ignored_columns` holds what the source could not use."""

    def __init__(
        self,
        source: RowSource,
        batch_size: int,
        first_batch: int | None = None,
        partner_id: int = UNKNOWN_PARTNER,
        copy_ready: bool = False,
    ) -> None:
        self._source = source
        self._partner_id = partner_id
        self._copy_ready = copy_ready
        self._batch_size = batch_size
        self._first_batch = min(first_batch or batch_size, batch_size)
        self.ignored_columns: list[str] = []
        # Hands decoded batches from the receiving thread to the caller.
        self._ready: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
        # Set once the caller has taken every batch decoded so far. Decoded, a batch takes several
        # times the size of its message, so the next one is decoded only then: at most two are at
        # once (the caller's and the next), and the message after them waits undecoded. With a
        # third decoded whenever the writing fell behind the reading, a run's peak rose by about
        # 90 MB at that point (docs/benchmarks.md).
        self._taken = threading.Event()
        self._taken.set()
        self._stopping = threading.Event()

    def __enter__(self) -> "ReadAhead":
        # Before the fork: the reading process sends what this one receives.
        map_large_blocks()
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        # Whatever sits in our output buffers would otherwise be written again by the child.
        sys.stdout.flush()
        sys.stderr.flush()
        self._child = context.Process(
            target=_read,
            args=(self._source, self._batch_size, self._first_batch, self._partner_id, self._copy_ready, sender),
            daemon=True,
        )
        # Frozen, what the child inherits is never collected there: no finaliser of an object of
        # ours (a database cursor left for the collector) runs in the child, on our connections.
        gc.freeze()
        try:
            self._child.start()
        finally:
            gc.unfreeze()
        sender.close()
        self._thread = threading.Thread(target=self._receive, name="read-ahead", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self._stopping.set()
        if self._child.is_alive():
            self._child.terminate()
        self._child.join()
        # The child's end of the pipe is closed now: a receiving thread still waiting on it
        # reads the end of the pipe and leaves.
        self._thread.join()
        self._receiver.close()

    def __iter__(self) -> Iterator[ReadBatch]:
        while True:
            what, value = self._ready.get()
            self._taken.set()
            if what == _BATCH:
                yield value
            elif what == _END:
                self.ignored_columns = value
                return
            else:
                raise value

    def _receive(self) -> None:
        """The receiving thread: each batch decoded, its figures once counted, then the end (or
        what went wrong)."""
        # A batch's figures as sent: decoded where they are used, since the next batch's arrive
        # while the writing of this one goes on (a batch over four weeks: tens of thousands of
        # buckets, some 20 MB decoded against 3 MB as sent).
        pending: Future[bytes] | None = None
        while not self._stopping.is_set():
            # The next message is a batch's (or the end) unless figures are due: it stays in the
            # reading process until the caller has taken the batch decoded last.
            if pending is None and not self._wait_until_taken():
                return
            try:
                message: tuple[Any, ...] = self._receiver.recv()
            except EOFError:
                self._child.join()  # it closed the pipe by dying: its exit code says how
                code = self._child.exitcode
                message = (_FAILED, RuntimeError(f"the reading process stopped unexpectedly (exit code {code})"))
            except Exception as error:  # a pipe broken mid-message: the caller's to raise
                message = (_FAILED, error)
            if message[0] == _COUNTED and pending is not None:
                pending.set_result(message[1])
                pending = None
                continue
            if message[0] != _BATCH:
                if pending is not None:  # a caller waiting for figures learns why none come
                    pending.set_exception(message[1] if message[0] == _FAILED else EOFError("no figures were sent"))
                self._hand_over(*message)
                return
            _, legs, others, countable, copy_ready = message
            batch: list[Item] = pickle.loads(others)
            ready = None
            if copy_ready is None:
                batch.extend(_decode_legs(legs))
            else:
                text, org_hexes, count = copy_ready
                ready = ReadyLegs(text, org_hexes, self._partner_id, count, partial(_decode_legs, legs))
            pending = Future() if countable else None
            self._hand_over(_BATCH, ReadBatch(batch, None if pending is None else _figures_of(pending), ready))

    def _wait_until_taken(self) -> bool:
        """Wait until the caller has taken the batch decoded last; False if it left the `with`
        block meanwhile."""
        while not self._stopping.is_set():
            if self._taken.wait(timeout=0.1):
                self._taken.clear()
                return True
        return False

    def _hand_over(self, what: str, value: object) -> None:
        """Queue a message for the caller, unless the caller has left the `with` block."""
        while not self._stopping.is_set():
            try:
                self._ready.put((what, value), timeout=0.1)
                return
            except queue.Full:
                continue
