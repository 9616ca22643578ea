"""seld: Sound Event Localization and Detection toolkit.

Synthesise spatial training data, train SELD networks (SELDnet, PSELDNets backbones), score them exactly as
the official DCASE scorers do, and run them on recordings. Sub-packages are imported on demand so that light
jobs (``seld evaluate``) never pay for torch.
"""

from seld.errors import ConfigError, FormatError, InputError, SeldError

__version__ = "0.1.0"
__all__ = ["SeldError", "InputError", "FormatError", "ConfigError", "__version__"]
