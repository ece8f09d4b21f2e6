"""stance: a toolkit for stance and argument annotation.

Pipeline, one module per stage, data flowing one way::

    segment → tasks → labels → dataset → model → predictions

Importing this package is cheap: torch, transformers and Label Studio are imported
only by the functions that need them.
"""

from __future__ import annotations

from stance.errors import StanceError

__version__ = "0.1.0"

__all__ = ["StanceError", "__version__"]
