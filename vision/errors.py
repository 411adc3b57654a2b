"""Errors the engine raises for bad input. Each carries a message a user can act on."""


class SquatCheckError(Exception):
    """Base class: ``str(err)`` is one plain-language line for the user (no traceback)."""


class VideoReadError(SquatCheckError):
    """The file is missing, empty, corrupt, not a video, or has no decodable video stream."""


class VideoTooLongError(VideoReadError):
    """The clip is longer than the configured limit; the message says how to trim it."""


class VideoIncompleteError(VideoReadError):
    """The file ends early or is damaged so soon that nothing usable could be read (less than a rep)."""


class OutputPathError(SquatCheckError):
    """An output path (``--json``/``--csv``/``--video``/``--pdf``) cannot be written; the message says why."""


class ModelNotFoundError(SquatCheckError):
    """The pose model file is missing; the message says how to get or rebuild it."""


class CameraError(SquatCheckError):
    """A live camera is unplugged, busy or not permitted."""
