"""Blob storage for uploaded audio: content-addressed by sha256, behind a small interface."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from transcribe.texts import N_, Text

if TYPE_CHECKING:
    from api.settings import Settings

__all__ = [
    "BlobStore",
    "LocalBlobStore",
    "S3BlobStore",
    "StorageFailed",
    "StoredBlob",
    "UploadTooLarge",
    "blob_store",
]

_CHUNK = 1 << 20  # bytes


class UploadTooLarge(Exception):
    def __init__(self, limit_bytes: int) -> None:
        # `.text`: a page says it in its reader's language (api/i18n.py)
        self.text = Text(
            N_("the file is larger than the limit of %(mb)s MB"),
            {"mb": limit_bytes // (1024 * 1024)},
        )
        super().__init__(str(self.text))
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
    def tidy(self) -> None: ...


def blob_store(settings: Settings) -> BlobStore:
    """The configured blob store: an S3-compatible bucket (RIDEALONG_BLOB_URL), or by default
    the data dir's `blobs/` folder."""
    if settings.blob_url:
        return S3BlobStore(settings.blob_url, settings.blob_dir, settings.s3_endpoint_url)
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
            # The same bytes replace whatever is there: a copy cut short or emptied (a cache
            # raced by another process) must never outlive a whole upload of it.
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

    def tidy(self) -> None:
        """Nothing to do: the folder holds the blobs themselves, not copies."""


logger = logging.getLogger(__name__)

_CHECKED_S = 60.0  # how long the bucket's word that it has a blob is believed


class S3BlobStore:
    """Audio in an S3-compatible bucket (AWS S3, MinIO, Ceph…), so the API and workers on
    other machines share it without a shared folder. Each process keeps the blobs it handled
    in a local cache (the decoders read files), trimmed to `cache_bytes`, oldest first, and
    of anything unused for `cache_idle_s`. A cached copy is only used while the bucket still
    has the blob: audio deleted through another process is gone here too.
    Credentials come from boto3's usual sources (AWS_ACCESS_KEY_ID, …)."""

    def __init__(
        self,
        url: str,
        cache_dir: Path,
        endpoint_url: str | None = None,
        cache_bytes: int = 2 << 30,
        cache_idle_s: float = 3600.0,
    ) -> None:
        from urllib.parse import urlparse

        import boto3

        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self.cache = LocalBlobStore(cache_dir)
        self.cache_bytes = cache_bytes
        self.cache_idle_s = cache_idle_s
        self._seen: dict[str, float] = {}  # key: when the bucket last said it has it
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def _name(self, key: str) -> str:
        return "/".join(part for part in (self.prefix, key[:2], key) if part)

    def put(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """Hash into the local cache (so the upload can be probed), then upload it."""
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        blob = self.cache.put(stream, max_bytes)
        try:
            self.client.upload_file(str(blob.path), self.bucket, self._name(blob.key))
        except (Boto3Error, BotoCoreError, ClientError) as e:
            self.cache.delete(blob.key)
            raise StorageFailed(OSError(errno.EIO, str(e))) from e
        self._trim(keep=blob.key)
        return blob

    def path(self, key: str) -> Path:
        """The cached copy, downloaded first if this process has not got it (a path that does
        not exist when the bucket has no such blob)."""
        from botocore.exceptions import BotoCoreError, ClientError

        local = self.cache.path(key)
        if local.exists():
            if self._in_bucket(key) is False:  # deleted by another process
                self.cache.delete(key)
                return local
            try:
                os.utime(local)  # recently used: trimmed last (never creates an empty file)
                return local
            except FileNotFoundError:  # trimmed by another process meanwhile: fetch it
                pass
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_name(f".download-{key}-{os.getpid()}")
        try:
            self.client.download_file(self.bucket, self._name(key), str(partial))
        except ClientError as e:
            partial.unlink(missing_ok=True)
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                return local
            raise StorageFailed(OSError(errno.EIO, str(e))) from e
        except BotoCoreError as e:
            partial.unlink(missing_ok=True)
            raise StorageFailed(OSError(errno.EIO, str(e))) from e
        partial.replace(local)
        self._trim(keep=key)
        return local

    def _in_bucket(self, key: str) -> bool | None:
        """Whether the bucket still has the blob; None when it cannot say (unreachable, or
        no right to list: then a missing object answers 403), and the cached copy serves.
        A yes is believed for `_CHECKED_S`, so an audio player's range requests cost one."""
        from botocore.exceptions import BotoCoreError, ClientError

        if time.monotonic() - self._seen.get(key, -_CHECKED_S) < _CHECKED_S:
            return True
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                self._seen.pop(key, None)
                return False
            logger.warning("could not check blob %s in the bucket: %s", key[:12], e)
            return None
        except BotoCoreError as e:
            logger.warning("could not check blob %s in the bucket: %s", key[:12], e)
            return None
        self._seen[key] = time.monotonic()
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        self._seen.pop(key, None)
        self.cache.delete(key)

    def tidy(self) -> None:
        """Drop cached copies nobody used for `cache_idle_s` (the worker's hourly run: a
        process that gets no work keeps no audio that was deleted elsewhere)."""
        self._trim(keep="")

    def _trim(self, keep: str) -> None:
        """Remove cached blobs (never `keep`) unused for `cache_idle_s`, then the least
        recently used ones over `cache_bytes`. Other processes on this machine share the
        folder and trim it too: a file gone meanwhile is simply gone."""
        cached = []
        for path in self.cache.root.glob("??/*"):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            cached.append((info.st_mtime_ns, info.st_size, path))
        idle_before_ns = time.time_ns() - int(self.cache_idle_s * 1e9)
        total = sum(size for _, size, _ in cached)
        for used_ns, size, old in sorted(cached, key=lambda c: c[0]):
            if total <= self.cache_bytes and used_ns >= idle_before_ns:
                break
            if old.name != keep:
                total -= size
                old.unlink(missing_ok=True)
