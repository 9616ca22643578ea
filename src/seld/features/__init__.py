"""Audio front ends: batched multichannel audio ``[B, C, N]`` to features ``[B, C', T, F]`` in plain torch.

Every front end is an ``nn.Module`` built on a functional core (:func:`stft`, :func:`log_mel`,
:func:`intensity_vectors`, :func:`gcc_phat`, :func:`salsa_lite`, :func:`salsa_features`,
:func:`magnitude_phase`), runs on the device
and in the dtype of its input, and can be built by name with :func:`create_frontend` (see
:mod:`seld.features.registry` for the names). Frame alignment with the 100-ms labels, and chunked extraction,
are described in :mod:`seld.features.spectral`.
"""

from seld.features.gcc import LogMelGcc, gcc_phat
from seld.features.intensity import LogMelIV, intensity_vectors
from seld.features.logmel import LogMel, log_mel, power_to_db
from seld.features.magphase import MagPhase, magnitude_phase
from seld.features.mel import hz_to_mel, mel_filterbank, mel_filterbank_torchaudio, mel_to_hz
from seld.features.normalize import FeatureNormalizer
from seld.features.registry import create_frontend, list_frontends, register_frontend
from seld.features.salsa import SalsaLite, salsa_lite, salsa_lite_bins
from seld.features.salsa_full import (
    Salsa, noise_floor_mask, principal_eigenvectors, salsa_features, salsa_spectrum_matrix,
)
from seld.features.spectral import SpectralFrontEnd, count_frames, make_window, stft

__all__ = [
    "SpectralFrontEnd", "LogMel", "LogMelIV", "LogMelGcc", "SalsaLite", "Salsa", "MagPhase", "FeatureNormalizer",
    "create_frontend", "list_frontends", "register_frontend",
    "stft", "make_window", "count_frames", "mel_filterbank", "mel_filterbank_torchaudio",
    "hz_to_mel", "mel_to_hz", "power_to_db", "log_mel",
    "intensity_vectors", "gcc_phat", "salsa_lite", "salsa_lite_bins", "salsa_features", "salsa_spectrum_matrix",
    "noise_floor_mask", "principal_eigenvectors", "magnitude_phase",
]
