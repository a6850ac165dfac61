# docs/formatting.md: dates and times read the same everywhere on screen, in both languages.
from chainboard.formats.common import *  # noqa: F403
