"""Fetching Debian packages without network or root: a fake ``.deb`` built with ``dpkg-deb --build`` and a fake
``apt-get`` on the PATH stand in for the archive."""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seld.errors import ConfigError, InputError
from seld.synth import debian

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")


def wav_bytes(seconds: float = 0.5, fs: int = 8000) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, 0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * fs)) / fs), fs, format="WAV")
    return buf.getvalue()


def make_deb(tmp_path: Path, name: str = "fake-sounds") -> Path:
    """A Debian package holding a WAV and a ``.pk3`` (zip) with a WAV and a text file inside."""
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
                                             "Maintainer: test <t@example.org>\nDescription: test sounds\n")
    sounds = root / "usr/share/fake"
    sounds.mkdir(parents=True)
    (sounds / "bell.wav").write_bytes(wav_bytes())
    with zipfile.ZipFile(sounds / "data.pk3", "w") as z:
        z.writestr("sound/steps/wood1.wav", wav_bytes(0.2))
        z.writestr("maps/readme.txt", "not audio")
    deb = tmp_path / f"{name}_1.0_all.deb"
    os.system(f"dpkg-deb --root-owner-group --build {root} {deb} >/dev/null 2>&1")
    assert deb.is_file()
    return deb


def fake_apt(tmp_path: Path, monkeypatch, deb: Path | None) -> None:
    """An ``apt-get`` on the PATH that 'downloads' ``deb`` (a copy into the working folder) or fails like apt."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "apt-get"
    body = (f'cp "{deb}" .\n' if deb is not None else
            'echo "E: Unable to locate package $3" >&2\nexit 100\n')
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_extract_unpacks_the_tree_and_the_zip_archives_inside(tmp_path):
    tree = debian.extract(make_deb(tmp_path), tmp_path / "cache" / "fake-sounds")
    assert (tree / "usr/share/fake/bell.wav").is_file()
    assert (tree / "usr/share/fake/data.pk3").is_dir()                  # the archive became a folder
    assert sf.info(tree / "usr/share/fake/data.pk3/sound/steps/wood1.wav").duration == pytest.approx(0.2)
    assert not (tree / "usr/share/fake/data.pk3/maps").exists()         # only audio is taken out
    assert debian.cached("fake-sounds", tmp_path / "cache") == tree
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["fake-sounds"]   # no temporary folder left


def test_fetch_downloads_once_then_reuses_the_cache(tmp_path, monkeypatch):
    fake_apt(tmp_path, monkeypatch, make_deb(tmp_path))
    cache = tmp_path / "cache"
    tree = debian.fetch("fake-sounds", cache)
    (tree / "usr/share/fake/bell.wav").write_bytes(b"kept")            # a second fetch must not re-extract
    (tmp_path / "again").mkdir()
    fake_apt(tmp_path / "again", monkeypatch, None)                       # any download now fails
    assert debian.fetch("fake-sounds", cache) == tree
    assert (tree / "usr/share/fake/bell.wav").read_bytes() == b"kept"
    assert not list(cache.glob(".*"))


def test_a_failed_download_is_one_line_naming_the_package_and_apt_get_update(tmp_path, monkeypatch):
    fake_apt(tmp_path, monkeypatch, None)
    with pytest.raises(ConfigError) as err:
        debian.fetch("no-such-package", tmp_path / "cache")
    message = str(err.value)
    assert "no-such-package" in message and "apt-get update" in message and "\n" not in message
    assert not (tmp_path / "cache" / "no-such-package").exists()


def test_missing_apt_get_and_a_corrupt_archive_are_user_errors(tmp_path, monkeypatch):
    bad = tmp_path / "broken_1.0_all.deb"
    bad.write_bytes(b"!<arch>\nnot really a package")
    with pytest.raises(InputError, match="not a readable Debian package"):
        debian.extract(bad, tmp_path / "cache" / "broken")
    assert not (tmp_path / "cache" / "broken").exists() and not list((tmp_path / "cache").iterdir())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="apt-get not found"):
        debian.fetch("anything", tmp_path / "cache")


def rcc(files: dict[str, bytes], compress: set[str] = frozenset()) -> bytes:
    """A compiled Qt resource (format 3) with the given files in one folder ``res``, built by hand from the
    layout that ``rcc.cpp`` writes: header, data, names, tree of 22-byte nodes."""
    names_blob, name_at = b"", {}
    for n in ["res", *files]:
        name_at[n] = len(names_blob)
        names_blob += len(n).to_bytes(2, "big") + b"\0\0\0\0" + n.encode("utf-16-be")
    data_blob, data_at = b"", {}
    for n, content in files.items():
        body = len(content).to_bytes(4, "big") + zlib.compress(content) if n in compress else content
        data_at[n] = len(data_blob)
        data_blob += len(body).to_bytes(4, "big") + body
    node = lambda name_off, flags, a, b: (name_off.to_bytes(4, "big") + flags.to_bytes(2, "big")  # noqa: E731
                                          + a + b + bytes(8))
    tree = node(0, 2, (1).to_bytes(4, "big"), (1).to_bytes(4, "big"))           # root: 1 child at index 1
    tree += node(name_at["res"], 2, len(files).to_bytes(4, "big"), (2).to_bytes(4, "big"))
    for n in files:
        tree += node(name_at[n], 1 if n in compress else 0, bytes(4), data_at[n].to_bytes(4, "big"))
    header = 24
    return (b"qres" + (3).to_bytes(4, "big") + (header + len(data_blob) + len(names_blob)).to_bytes(4, "big")
            + header.to_bytes(4, "big") + (header + len(data_blob)).to_bytes(4, "big") + bytes(4)
            + data_blob + names_blob + tree)


def test_qt_resources_are_read_plain_and_compressed():
    files = {"a.ogg": b"first file", "b.wav": b"second" * 50}
    assert debian.read_rcc(rcc(files, compress={"b.wav"})) == sorted(("res/" + k, v) for k, v in files.items())
    with pytest.raises(ValueError, match="not a Qt resource"):
        debian.read_rcc(b"PK\x03\x04")


def test_default_cache_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert debian.default_cache() == tmp_path / "seld" / "debian"
