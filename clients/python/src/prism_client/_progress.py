"""A tqdm bar driven by StreamExplain's progress events."""

from .results import Progress


class ProgressBar:
    def __init__(self, description: str):
        try:
            from tqdm.auto import tqdm
        except ImportError as e:
            raise ImportError("progress=True needs tqdm: pip install 'prism-client[progress]'") from e
        self._bar = tqdm(total=None, desc=description, unit="eval", unit_scale=True)

    def update(self, event: Progress) -> None:
        if event.evaluations_total:
            self._bar.total = event.evaluations_total
        self._bar.n = event.evaluations_done
        self._bar.refresh()

    def close(self, finished: bool) -> None:
        """Shows the bar full when the result arrived, where it stopped otherwise."""
        if finished and self._bar.total:
            self._bar.n = self._bar.total
            self._bar.refresh()
        self._bar.close()
