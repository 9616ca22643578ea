"""Fetch Debian packages into a cache folder without installing them: ``apt-get download`` + ``dpkg -x``.

The offline sound bank (:mod:`seld.synth.offline`) reads real recordings from Debian ``main`` packages. Neither
step needs root: ``apt-get download`` only needs an up-to-date package list (``apt-get update``), and
``dpkg -x`` unpacks the archive into any folder. Each package lands in ``<cache>/<package>/`` (the package's
file tree), extracted into a temporary folder first and renamed when complete, so an interrupted run leaves
nothing half-made and a rerun reuses what is there. Zip archives that some games keep their sounds in
(``.pk3``, ``.zip``) and Qt resource files (``.rcc``, GCompris) are replaced by a folder of the same name
holding their audio files, so that every recording has a plain path inside the package.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

from seld.errors import ConfigError, InputError

__all__ = ["MARKER", "AUDIO", "default_cache", "cached", "fetch", "download", "extract", "unpack_archives",
           "read_rcc"]

log = logging.getLogger(__name__)

#: suffixes of the audio files taken out of archives
AUDIO = (".wav", ".ogg", ".oga", ".flac", ".mp3", ".aif", ".aiff")
_ARCHIVES = (".pk3", ".zip")
#: written last into an extracted package tree: the tree is complete
MARKER = ".seld-extracted"


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/seld/debian``, or ``~/.cache/seld/debian``."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "seld" / "debian"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigError(f"{name} not found: fetching Debian sound packages needs apt-get and dpkg (a Debian or "
                          "Ubuntu machine); without them the offline bank uses generated material only")
    return path


def download(package: str, folder: Path) -> Path:
    """``apt-get download package`` into ``folder``; returns the ``.deb`` (one line of error with the fix)."""
    apt = _tool("apt-get")
    done = subprocess.run([apt, "download", "-q", package], cwd=folder, capture_output=True, text=True)
    debs = sorted(folder.glob(f"{package}_*.deb"))
    if done.returncode != 0 or not debs:
        reason = (done.stderr.strip().splitlines() or ["no .deb written"])[-1].removeprefix("E: ")
        raise ConfigError(f"apt-get download {package} failed ({reason}); refresh the package list with "
                          "`apt-get update` (as root) and check that Debian main is configured")
    return debs[-1]


def extract(deb: str | Path, target: str | Path) -> Path:
    """Unpack ``deb`` into the folder ``target`` (atomically: a temporary folder renamed when complete)."""
    deb, target = Path(deb), Path(target)
    dpkg = _tool("dpkg-deb")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        done = subprocess.run([dpkg, "-x", str(deb), str(tmp)], capture_output=True, text=True)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["dpkg-deb failed"])[-1]
            raise InputError(deb, f"not a readable Debian package ({reason})", "delete it and fetch it again")
        unpack_archives(tmp)
        (tmp / MARKER).write_text(deb.name + "\n", encoding="utf-8")
        if target.exists():                     # made meanwhile by another process: keep theirs
            shutil.rmtree(tmp)
        else:
            tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def cached(package: str, cache: str | Path | None = None) -> Path | None:
    """The file tree of ``package`` if it is complete in ``cache``, else None."""
    target = (Path(cache) if cache is not None else default_cache()) / package
    return target if (target / MARKER).is_file() else None


def fetch(package: str, cache: str | Path | None = None) -> Path:
    """The file tree of ``package`` in ``cache`` (downloaded and extracted the first time, then reused)."""
    cache = Path(cache) if cache is not None else default_cache()
    target = cache / package
    if cached(package, cache) is not None:
        return target
    if target.exists():                         # left by an older layout or by hand: start again
        shutil.rmtree(target)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{package}-deb.", dir=cache) as tmp:
        log.info("apt-get download %s", package)
        deb = download(package, Path(tmp))
        return extract(deb, target)


def unpack_archives(root: Path) -> None:
    """Replace every zip (``.pk3``/``.zip``) and Qt ``.rcc`` file under ``root`` by a folder of its audio files."""
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in _ARCHIVES + (".rcc",)):
        try:
            members = (_zip_audio(path) if path.suffix.lower() in _ARCHIVES else
                       [(name, data) for name, data in read_rcc(path.read_bytes()) if name.lower().endswith(AUDIO)])
        except (zipfile.BadZipFile, ValueError, zlib.error, OSError) as err:
            log.warning("%s: cannot unpack (%s); its sounds are not used", path, err)
            continue
        path.unlink()
        for name, data in members:
            out = path / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)


def _zip_audio(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()
                if not i.is_dir() and i.filename.lower().endswith(AUDIO)]


def read_rcc(data: bytes) -> list[tuple[str, bytes]]:
    """The files of a compiled Qt resource (``rcc``, format versions 1-3): ``[(path, bytes)]``.

    Layout (qtbase ``rcc.cpp``): a ``qres`` header with the offsets of the tree, data and names sections;
    tree nodes of 14 bytes (22 from version 2: a modification time follows); a node is a folder (flag 2,
    children's count and first index) or a file (data offset); file data is a 4-byte length and the bytes,
    zlib-compressed behind a 4-byte size when flag 1 is set. zstd-compressed files (flag 4) are skipped.
    """
    def u32(at):
        return int.from_bytes(data[at:at + 4], "big")

    def u16(at):
        return int.from_bytes(data[at:at + 2], "big")

    if data[:4] != b"qres":
        raise ValueError("not a Qt resource file (no 'qres' header)")
    version, tree, payload, names = u32(4), u32(8), u32(12), u32(16)
    if version not in (1, 2, 3):
        raise ValueError(f"unknown rcc format version {version}")
    size = 14 if version == 1 else 22

    def name(node):
        at = names + u32(tree + node * size)
        length = u16(at)
        return data[at + 6:at + 6 + 2 * length].decode("utf-16-be")

    out, stack = [], [(0, "")]
    while stack:
        node, prefix = stack.pop()
        at = tree + node * size
        flags = u16(at + 4)
        if flags & 2:
            count, first = u32(at + 6), u32(at + 10)
            stack += [(first + k, prefix) for k in range(count)] if node == 0 else \
                     [(first + k, f"{prefix}{name(node)}/") for k in range(count)]
        elif flags & 4:
            continue
        else:
            start = payload + u32(at + 10)
            blob = data[start + 4:start + 4 + u32(start)]
            out.append((prefix + name(node), zlib.decompress(blob[4:]) if flags & 1 else blob))
    return sorted(out)
