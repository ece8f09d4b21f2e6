"""The model a backend serves, swapped atomically, and the debounced background retrainer.

:class:`LiveModel` holds ``(predictor, model_version)`` as one reference: a request reads it
once and keeps that pair, so a swap in the middle of ``/predict`` never mixes two models.

:class:`Retrainer` runs one worker thread. Annotation events only count up (:meth:`notify`);
the worker starts a retrain when ``every`` events have arrived or ``quiet_s`` seconds passed
since the last one. There is only ever one retrain at a time, and events that arrive during
a retrain are served by the next one, so two events at once start one retrain. A retrain
that raises keeps the old model and logs why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LiveModel", "Retrainer", "RetrainStats"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


class LiveModel:
    """The served model and its version; :meth:`swap` replaces both at once."""

    def __init__(self, predictor: Any, model_version: str) -> None:
        self._current = (predictor, str(model_version))

    def snapshot(self) -> tuple[Any, str]:
        """``(predictor, model_version)`` as one consistent pair."""
        return self._current

    @property
    def model_version(self) -> str:
        """The version now served."""
        return self._current[1]

    def swap(self, predictor: Any, model_version: str) -> None:
        """Serve another model from the next request on (one reference assignment: atomic)."""
        self._current = (predictor, str(model_version))
        logger.info("now serving model version %s", model_version)


@dataclass
class RetrainStats:
    """Counters a backend reports on ``/health``."""

    events: int = 0
    started: int = 0
    succeeded: int = 0
    failed: int = 0
    running: bool = False
    last_error: str | None = None
    last_seconds: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


class Retrainer:
    """Debounced background retraining: one worker thread, one retrain at a time.

    Args:
        retrain: Called with no argument in the worker thread; does the whole retrain and swap.
        every: Retrain once this many events have arrived since the last retrain started.
        quiet_s: Or once this many seconds passed after the last event.
    """

    def __init__(self, retrain: Callable[[], Any], *, every: int = 20, quiet_s: float = 30.0) -> None:
        self._retrain = retrain
        self.every = max(1, int(every))
        self.quiet_s = float(quiet_s)
        self.stats = RetrainStats()
        self._pending = 0
        self._last_event = 0.0
        self._force = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._loop, name="stance-retrainer", daemon=True)

    def start(self) -> Retrainer:
        """Start the worker thread."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to stop after the retrain in progress (if any)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def notify(self, n: int = 1, *, now: bool = False) -> None:
        """Count ``n`` annotation events; ``now`` asks for a retrain without waiting (START_TRAINING)."""
        with self._lock:
            self._pending += n
            self.stats.events += n
            self._last_event = time.monotonic()
            self._force = self._force or now
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no event is pending and no retrain runs (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending or self.stats.running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.2))
            return True

    def _due(self) -> tuple[bool, float]:
        """(retrain now?, seconds to wait otherwise); called with the lock held."""
        if not self._pending:
            return False, 3600.0
        if self._force or self._pending >= self.every:
            return True, 0.0
        left = self.quiet_s - (time.monotonic() - self._last_event)
        return left <= 0, max(left, 0.01)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                due, wait = self._due()
                if due:
                    batch, self._pending, self._force = self._pending, 0, False
                    self.stats.running = True
                    self.stats.started += 1
            if not due:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            self._run(batch)

    def _run(self, batch: int) -> None:
        t0 = time.perf_counter()
        entry: dict[str, Any] = {"events": batch}
        try:
            entry["result"] = self._retrain()
            ok = True
        except Exception as exc:  # noqa: BLE001 - any failure keeps the old model
            ok = False
            message = f"{type(exc).__name__}: {exc}"
            entry["error"] = message
            logger.warning("retrain failed, still serving the previous model: %s", message)
        with self._lock:
            self.stats.running = False
            self.stats.last_seconds = round(time.perf_counter() - t0, 2)
            if ok:
                self.stats.succeeded += 1
            else:
                self.stats.failed += 1
                self.stats.last_error = entry["error"]
            entry["seconds"] = self.stats.last_seconds
            self.stats.history = [*self.stats.history[-19:], entry]
            self._idle.notify_all()
