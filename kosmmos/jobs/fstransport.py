"""kombu's file-system transport with atomic message files (the embedded broker).

kombu writes a message straight into its final ``*.msg`` name; a consumer polling at that moment
can move and read the file before the producer has written it, get an empty payload, and die
with "Unrecoverable error: JSONDecodeError" — the whole worker exits. Seen under the publishing
benchmark (hundreds of messages a second). Here a message is written under a temporary name the
consumers ignore and renamed into place, which is atomic on one file system.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]  # kombu's bases disagree
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = final + ".tmp"  # "<stamp>_<uuid>.<queue>.msg.tmp": not a queue's suffix
        try:
            with open(temporary, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.rename(temporary, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
