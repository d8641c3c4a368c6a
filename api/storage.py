"""Blob storage for uploaded audio: content-addressed by sha256, behind a small interface."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from api.settings import Settings

__all__ = [
    "BlobStore",
    "LocalBlobStore",
    "StorageFailed",
    "StoredBlob",
    "UploadTooLarge",
    "blob_store",
]

_CHUNK = 1 << 20  # bytes


class UploadTooLarge(Exception):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit_bytes // (1024 * 1024)} MB")
        self.limit_bytes = limit_bytes


class StorageFailed(Exception):
    """The upload could not be written (disk full, no permission, an I/O error)."""

    def __init__(self, error: OSError) -> None:
        reason = os.strerror(error.errno) if error.errno else type(error).__name__
        super().__init__(
            f"the server could not store the upload ({reason.lower()}); nothing was kept, "
            "please try again later"
        )


class StoredBlob:
    __slots__ = ("key", "sha256", "size_bytes", "path")

    def __init__(self, key: str, sha256: str, size_bytes: int, path: Path) -> None:
        self.key, self.sha256, self.size_bytes, self.path = key, sha256, size_bytes, path


class BlobStore(Protocol):
    """Where uploaded audio lives, keyed by sha256. `path` gives a local file with the blob's
    bytes (the decoders read files): a remote, S3-compatible store would fetch the blob into a
    local cache there. Every part of the service gets its store from `blob_store`."""

    def put(self, stream: BinaryIO, max_bytes: int) -> StoredBlob: ...
    def path(self, key: str) -> Path: ...
    def delete(self, key: str) -> None: ...


def blob_store(settings: Settings) -> BlobStore:
    """The configured blob store (a local folder; the one place to add another kind)."""
    return LocalBlobStore(settings.blob_dir)


class LocalBlobStore:
    """Files under one folder, named by their sha256: the same audio is stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """Copy the stream in, hashing as it goes; nothing is left behind on any error."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        except OSError as e:
            raise StorageFailed(e) from e
        digest = hashlib.sha256()
        size = 0
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadTooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
            key = digest.hexdigest()
            final = self.path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                tmp.unlink()
            else:
                tmp.replace(final)
            return StoredBlob(key, key, size, final)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise StorageFailed(e) from e
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
