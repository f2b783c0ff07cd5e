"""Training tools (not part of the installed product): ``python -m training.reader`` (``make reader``)."""
