"""Wall materials: octave-band absorption from pyroomacoustics' material database, drawn per surface.

The database (``pyroomacoustics.parameters.materials_data``, from Vorländer's *Auralization* tables and
similar sources) gives energy absorption coefficients at 125 Hz-8 kHz; a few materials stop at 4 kHz and
keep their 4 kHz value above. Rooms draw a floor, a ceiling and four walls from the sets below (typical of
offices, classrooms, living rooms, halls and studios: hard, lined, glazed, carpeted, curtained or treated
surfaces). The four walls share one material, except that each is replaced by another draw with
probability ``odd_wall`` (a window front, a curtain, an absorber panel, a door).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from seld.synth.filters import BANDS

__all__ = ["WALL_MATERIALS", "FLOOR_MATERIALS", "CEILING_MATERIALS", "absorption_of", "draw_materials"]

WALL_MATERIALS = (
    "hard_surface", "brickwork", "rough_concrete", "unpainted_concrete", "rough_lime_wash",
    "smooth_brickwork_flush_pointing", "smooth_brickwork_10mm_pointing", "brick_wall_rough", "ceramic_tiles",
    "limestone_wall", "plasterboard", "wooden_lining", "glass_window", "double_glazing_30mm",
    "double_glazing_10mm", "wood_16mm", "wooden_door", "curtains_cotton_0.5", "curtains_0.2", "curtains_velvet",
    "curtains_densely_woven", "blinds_half_open", "panel_fabric_covered_8pcf", "acoustical_plaster_25mm",
    "rockwool_50mm_40kgm3", "mineral_wool_50mm_40kgm3", "fibre_absorber_1", "perforated_veneered_chipboard",
)
FLOOR_MATERIALS = (
    "concrete_floor", "marble_floor", "ceramic_tiles", "linoleum_on_concrete", "audience_floor", "stage_floor",
    "wood_1.6cm", "carpet_cotton", "carpet_tufted_9.5mm", "carpet_thin", "carpet_6mm_closed_cell_foam",
    "carpet_6mm_open_cell_foam", "carpet_tufted_9m", "felt_5mm", "carpet_soft_10mm", "carpet_hairy",
    "carpet_rubber_5mm",
)
CEILING_MATERIALS = (
    "hard_surface", "rough_concrete", "rough_lime_wash", "plasterboard", "ceiling_plasterboard", "wooden_lining",
    "ceiling_fibre_absorber", "ceiling_fissured_tile", "ceiling_perforated_gypsum_board", "ceiling_melamine_foam",
    "ceiling_metal_panel",
)


@lru_cache(maxsize=1)
def _database() -> dict[str, np.ndarray]:
    from pyroomacoustics.parameters import materials_data

    if list(materials_data["center_freqs"]) != list(BANDS):
        raise RuntimeError(f"pyroomacoustics' material bands changed: {materials_data['center_freqs']}")
    out = {}
    for table in materials_data["absorption"].values():
        for name, entry in table.items():
            coeffs = list(entry["coeffs"])
            out[name] = np.asarray(coeffs + coeffs[-1:] * (len(BANDS) - len(coeffs)), dtype=np.float64)
    return out


def absorption_of(name: str) -> np.ndarray:
    """Energy absorption [B] of a database material at :data:`~seld.synth.filters.BANDS`."""
    return _database()[name].copy()


def draw_materials(rng: np.random.Generator, odd_wall: float = 0.4) -> tuple[str, ...]:
    """Material names of the six surfaces in pyroomacoustics' wall order (west, east, south, north, floor,
    ceiling)."""
    base = WALL_MATERIALS[rng.integers(len(WALL_MATERIALS))]
    walls = [WALL_MATERIALS[rng.integers(len(WALL_MATERIALS))] if rng.uniform() < odd_wall else base
             for _ in range(4)]
    return (*walls, FLOOR_MATERIALS[rng.integers(len(FLOOR_MATERIALS))],
            CEILING_MATERIALS[rng.integers(len(CEILING_MATERIALS))])
