"""Decoding the copy of a compressed response that relay reads, in bounded memory.

The client always gets upstream's bytes as they came; relay decodes a copy to read usage. A small
compressed body can expand without limit (a 1 MB gzip bomb is 1 GB), so each call hands out at
most PIECE bytes at a time and the whole copy at most `limit` bytes: past that the copy is no
longer read (SideLimit) and the exchange's usage is flagged unknown, while the stream goes on.
Only codings relay can decode this way are offered upstream (`codings`).
"""
import zlib
from typing import Any

PIECE = 256 * 1024


class SideLimit(Exception):
    """The decoded copy passed its limit; relay stops reading it."""


def _brotli():
    """brotli's Decompressor when it can bound its output (brotli >= 1.1), else None."""
    try:
        import brotli  # optional: not a dependency; br is then not offered upstream
    except ImportError:
        return None
    probe = brotli.Decompressor()
    try:
        probe.process(b"", output_buffer_limit=1)
    except TypeError:
        return None   # an older brotli decodes a whole chunk at once: unbounded, not offered
    except Exception:  # noqa: BLE001 - empty input may be refused; the keyword itself was accepted
        pass
    return brotli.Decompressor


def codings():
    """Content codings relay can decode on the side in bounded memory."""
    return ["gzip", "deflate"] + (["br"] if _brotli() is not None else [])


class SideDecoder:
    def __init__(self, coding, limit):
        self.limit = limit
        self.out = 0
        coding = (coding or "").strip().lower()
        self._zlib: Any = None
        self._br: Any = None
        if coding in ("gzip", "x-gzip", "deflate"):
            # 32 + MAX_WBITS: a gzip or zlib header, detected (servers send both as "deflate")
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)
        elif coding == "br" and _brotli() is not None:
            self._br = _brotli()()

    @classmethod
    def for_coding(cls, coding, limit):
        """A decoder for `coding`, or None when the copy is identity or cannot be decoded."""
        decoder = cls(coding, limit)
        return decoder if decoder._zlib is not None or decoder._br is not None else None

    def feed(self, chunk):
        """The decoded pieces of `chunk`, each at most PIECE bytes, lazily; raises SideLimit past
        the limit and zlib.error (or brotli's error) on a corrupt stream."""
        if self._zlib is not None:
            data = chunk
            while True:
                piece = self._zlib.decompress(data, PIECE)
                data = self._zlib.unconsumed_tail
                if piece:
                    yield self._count(piece)
                if self._zlib.eof or (not data and len(piece) < PIECE):
                    return
        else:
            piece = self._br.process(chunk, output_buffer_limit=PIECE)
            yield self._count(piece)
            while not self._br.can_accept_more_data():
                yield self._count(self._br.process(b"", output_buffer_limit=PIECE))

    def _count(self, piece):
        self.out += len(piece)
        if self.out > self.limit:
            raise SideLimit(f"the response decodes to more than {self.limit // (1024 * 1024)} MB; "
                            f"relay stopped reading it (usage unknown); the client got every byte")
        return piece
