"""One reader per corpus; importing this package registers them all (see :mod:`seld.data.corpus`).

=============  ============================================================  ========  ============
name           corpus                                                        rate      label format
=============  ============================================================  ========  ============
``synth``      datasets written by ``seld synth``; PSELDNets' synthetic sets  24 kHz    dcase2024
``starss23``   STARSS23 (DCASE2023/2024)                                     24 kHz    dcase2024
``starss22``   STARSS22 (DCASE2022)                                          24 kHz    dcase2022
``dcase2021``  TAU-NIGENS Spatial Sound Events 2021                          24 kHz    dcase2021
``dcase2020``  TAU-NIGENS Spatial Sound Events 2020                          24 kHz    dcase2020
``dcase2019``  TAU Spatial Sound Events 2019                                 48 kHz    dcase2019
``l3das22``    L3DAS22 task 2 (microphone A)                                 32 kHz    l3das22
``seldnet``    SELDnet's ANSIM / RESIM / CANSIM / CRESIM                     44.1 kHz  seldnet
=============  ============================================================  ========  ============
"""

from seld.data.corpora import dcase2019, dcase2020, dcase2021, l3das22, seldnet, starss23, synth  # noqa: F401
