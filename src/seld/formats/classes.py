"""Class lists of the SELD datasets, selectable by name (``starss23``) or by count (``13``)."""

from __future__ import annotations

from dataclasses import dataclass

from seld.errors import ConfigError

__all__ = ["ClassList", "CLASS_LISTS", "get_classes"]


@dataclass(frozen=True)
class ClassList:
    """An ordered list of class names; the position is the class index used in label files."""

    name: str
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self):
        return iter(self.names)

    def __getitem__(self, i: int) -> str:
        return self.names[i]

    def index(self, name: str) -> int:
        """Index of a class name (case-insensitive, spaces and hyphens read as underscores)."""
        key = _key(name)
        for i, n in enumerate(self.names):
            if _key(n) == key:
                return i
        raise ConfigError(f"unknown class {name!r} for class list {self.name!r}; known: {', '.join(self.names)}")


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


_DCASE2019 = ("knock", "drawer", "clearthroat", "phone", "keysDrop", "speech", "keyboard", "pageturn", "cough",
              "doorslam", "laughter")
_NIGENS2021 = ("alarm", "baby", "crash", "dog", "female_scream", "female_speech", "footsteps", "knock",
               "male_scream", "male_speech", "phone", "piano")
_NIGENS2020 = ("alarm", "baby", "crash", "dog", "engine", "female_scream", "female_speech", "fire", "footsteps",
               "knock", "male_scream", "male_speech", "phone", "piano")
_STARSS = ("female_speech", "male_speech", "clapping", "telephone", "laughter", "domestic_sounds", "footsteps",
           "door", "music", "musical_instrument", "water_tap", "bell", "knock")
_L3DAS = ("Chink_and_clink", "Computer_keyboard", "Cupboard_open_or_close", "Drawer_open_or_close",
          "Female_speech_and_woman_speaking", "Finger_snapping", "Keys_jangling", "Knock", "Laughter",
          "Male_speech_and_man_speaking", "Printer", "Scissors", "Telephone", "Writing")

#: Every built-in class list by name. SELDnet's simulated sets (ANSIM, RESIM, ...) use the 11 DCASE2016 task 2
#: classes in the same index order as DCASE2019.
CLASS_LISTS: dict[str, ClassList] = {
    c.name: c
    for c in (
        ClassList("dcase2019", _DCASE2019),
        ClassList("seldnet", _DCASE2019),
        ClassList("dcase2020", _NIGENS2020),
        ClassList("dcase2021", _NIGENS2021),
        ClassList("starss22", _STARSS),
        ClassList("starss23", _STARSS),
        ClassList("dcase2022", _STARSS),
        ClassList("dcase2023", _STARSS),
        ClassList("dcase2024", _STARSS),
        ClassList("l3das21", _L3DAS),
        ClassList("l3das22", _L3DAS),
    )
}


def get_classes(spec: str | int | ClassList) -> ClassList:
    """A class list by name (``"starss23"``), or ``N`` anonymous classes (``13`` or ``"13"``)."""
    if isinstance(spec, ClassList):
        return spec
    text = str(spec).strip()
    if text.isdigit():
        n = int(text)
        if n < 1:
            raise ConfigError(f"the number of classes must be at least 1, got {n}")
        return ClassList(f"{n}classes", tuple(f"class{i}" for i in range(n)))
    key = _key(text)
    if key not in CLASS_LISTS:
        raise ConfigError(f"unknown class list {spec!r}; use a number or one of: {', '.join(CLASS_LISTS)}")
    return CLASS_LISTS[key]
