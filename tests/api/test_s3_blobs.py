"""Audio in an S3-compatible bucket (RIDEALONG_BLOB_URL), against moto's in-process S3: the
API and a worker with different data dirs (as on two machines) share recordings through the
bucket alone; deletes reach the bucket; a bucket failure is a clear 507 with nothing kept."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.db import get_database
from api.jobs import process_recording
from api.storage import S3BlobStore, blob_store
from tests.api.test_api import upload
from tests.conftest import authorised_client, tone, write_audio

BUCKET = "ridealong-audio"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A mocked S3 with one bucket; the client to inspect it."""
    import boto3
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def objects(client: Any) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_two_processes_share_blobs_through_the_bucket(s3: Any, tmp_path: Path) -> None:
    api = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "api")
    worker = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "worker")
    payload = b"RIFF" + bytes(range(256)) * 40
    blob = api.put(io.BytesIO(payload), max_bytes=1 << 20)
    assert objects(s3) == [f"audio/{blob.key[:2]}/{blob.key}"]
    assert worker.path(blob.key).read_bytes() == payload  # fetched, not shared on disk
    worker.delete(blob.key)
    assert objects(s3) == [] and not worker.path(blob.key).exists()


def test_the_local_cache_is_trimmed_oldest_first(s3: Any, tmp_path: Path) -> None:
    store = S3BlobStore(f"s3://{BUCKET}", tmp_path / "cache", cache_bytes=2500)
    keys = []
    for n in range(4):
        keys.append(store.put(io.BytesIO(bytes([n]) * 1000), max_bytes=1 << 20).key)
        time.sleep(0.01)  # distinct modification times
    cached = {p.name for p in (tmp_path / "cache").glob("??/*")}
    assert keys[-1] in cached and keys[0] not in cached and len(cached) == 2
    assert store.path(keys[0]).read_bytes() == bytes([0]) * 1000  # still in the bucket


def test_audio_deleted_elsewhere_leaves_every_cache(s3: Any, tmp_path: Path) -> None:
    api = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "api")
    worker = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "worker", cache_idle_s=0)
    kept = api.put(io.BytesIO(b"RIFF" + b"a" * 4000), max_bytes=1 << 20)
    assert worker.path(kept.key).exists()  # the worker has its copy
    api.delete(kept.key)
    assert not worker.path(kept.key).exists()  # not served from its cache any more
    assert list((tmp_path / "worker").glob("??/*")) == []
    # A copy nobody used for `cache_idle_s` goes at the next trim, deleted or not.
    first = api.put(io.BytesIO(b"RIFF" + b"b" * 4000), max_bytes=1 << 20)
    assert worker.path(first.key).exists()
    second = api.put(io.BytesIO(b"RIFF" + b"c" * 4000), max_bytes=1 << 20)
    worker.path(second.key)
    assert {p.name for p in (tmp_path / "worker").glob("??/*")} == {second.key}


def test_an_idle_worker_drops_audio_deleted_elsewhere_in_its_hourly_run(
    s3: Any, tmp_path: Path
) -> None:
    api = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "api")
    worker = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "worker", cache_idle_s=0)
    blob = api.put(io.BytesIO(b"RIFF" + b"d" * 4000), max_bytes=1 << 20)
    worker.path(blob.key)
    api.delete(blob.key)
    assert list((tmp_path / "worker").glob("??/*"))  # nothing asked for it since
    worker.tidy()
    assert list((tmp_path / "worker").glob("??/*")) == []


def test_a_cached_copy_serves_when_the_bucket_cannot_say(s3: Any, tmp_path: Path) -> None:
    """One check a minute for a player's range requests; an unreachable bucket, or one that
    answers 403 (no right to list), leaves the cached copy in use."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    store = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "c")
    blob = store.put(io.BytesIO(b"RIFF" + b"e" * 4000), max_bytes=1 << 20)
    asked: list[str] = []
    real = store.client.head_object
    store.client.head_object = lambda **kw: asked.append(kw["Key"]) or real(**kw)
    for _ in range(5):
        assert store.path(blob.key).exists()
    assert len(asked) == 1
    store._seen.clear()  # a minute later

    def unreachable(**_kw: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://s3")

    def forbidden(**_kw: Any) -> None:
        raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")

    for failing in (unreachable, forbidden):
        store.client.head_object = failing
        assert store.path(blob.key).read_bytes().startswith(b"RIFF")


def test_a_copy_trimmed_while_it_is_checked_is_fetched_again(s3: Any, tmp_path: Path) -> None:
    """Never an empty file in its place, which a second upload of the audio would then send
    over the bucket's copy."""
    store = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "c")
    payload = b"RIFF" + b"f" * 4000
    blob = store.put(io.BytesIO(payload), max_bytes=1 << 20)
    store._seen.clear()  # a minute later
    real = store.client.head_object
    trims: list[bool] = []

    def trimmed_meanwhile(**kw: Any) -> Any:
        if not trims:  # another process trims the copy while the bucket is asked
            trims.append(True)
            store.cache.path(blob.key).unlink()
        return real(**kw)

    store.client.head_object = trimmed_meanwhile
    assert store.path(blob.key).read_bytes() == payload
    store.client.head_object = real
    store.cache.path(blob.key).write_bytes(b"")  # a copy emptied some other way
    store.put(io.BytesIO(payload), max_bytes=1 << 20)  # the same audio uploaded again
    kept = s3.get_object(Bucket=BUCKET, Key=f"audio/{blob.key[:2]}/{blob.key}")["Body"].read()
    assert kept == payload and store.path(blob.key).read_bytes() == payload


def test_processes_trimming_one_cache_at_once_never_fail(s3: Any, tmp_path: Path) -> None:
    import threading

    store = S3BlobStore(f"s3://{BUCKET}/audio", tmp_path / "shared", cache_idle_s=0)
    failures: list[BaseException] = []
    for round_ in range(5):
        for i in range(200):  # idle copies
            path = store.cache.root / f"{i % 100:02d}" / f"{round_}-{i}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
        barrier = threading.Barrier(2)

        def tidy(barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                store.tidy()
            except BaseException as e:  # noqa: BLE001 - what the test is about
                failures.append(e)

        threads = [threading.Thread(target=tidy) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert list(store.cache.root.glob("??/*")) == []


@pytest.mark.slow
def test_a_worker_on_another_machine_transcribes_from_the_bucket(
    s3: Any, settings, tmp_path: Path, shared_audio: Path
) -> None:
    bucket_settings = settings.model_copy(update={"blob_url": f"s3://{BUCKET}/audio"})
    with authorised_client(bucket_settings) as (client, _):
        jfk = (shared_audio / "en" / "jfk.flac").read_bytes()
        recording_id = upload(client, jfk, "jfk.flac", "audio/flac").json()["id"]
        assert len(objects(s3)) == 1
        elsewhere = bucket_settings.model_copy(
            update={
                "data_dir": tmp_path / "other-machine",
                "database_url": bucket_settings.sqlalchemy_url,
            }
        )
        process_recording(elsewhere, get_database(elsewhere.sqlalchemy_url), recording_id)
        detail = client.get(f"/api/v1/recordings/{recording_id}").json()
        assert detail["status"] == "done", detail["error"]
        text = client.get(f"/api/v1/recordings/{recording_id}/transcript?format=txt").text
        assert "ask not what your country can do for you" in text.lower()
        assert client.delete(f"/api/v1/recordings/{recording_id}").status_code == 204
        assert objects(s3) == []


def test_a_bucket_that_refuses_the_upload_is_a_507_and_nothing_is_kept(
    s3: Any, settings, tmp_path: Path
) -> None:
    missing = settings.model_copy(update={"blob_url": "s3://no-such-bucket/audio"})
    with authorised_client(missing) as (client, _):
        clip = write_audio(tone(1.0), tmp_path / "a.wav", "pcm_s16le").read_bytes()
        response = upload(client, clip, "a.wav")
        assert response.status_code == 507, response.text
        assert "could not store the upload" in response.json()["detail"]
        assert client.get("/api/v1/recordings").json()["recordings"] == []
    assert [p for p in missing.blob_dir.rglob("*") if p.is_file()] == []
    assert isinstance(blob_store(missing), S3BlobStore)
