"""The embedded broker: kombu's filesystem transport, made safe for several processes.

kombu's own channel writes a message file in place and moves a claimed one to the temp folder, so
a consumer can read a half-written file (and crash on it) and, across file systems, two consumers
can take the same message. Here a message appears by an atomic rename once it is complete, and a
consumer claims it by an atomic rename into a folder on the same file system.
"""

import os
import uuid
from queue import Empty
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(filesystem.Channel):
    # The signatures of kombu's filesystem Channel, which itself departs from the virtual base's.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.part"
        with open(partial, "wb") as file:
            file.write(str_to_bytes(dumps(payload)))
        os.replace(partial, final)

    def _get(self, queue: str) -> Any:  # type: ignore[override]
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.processed_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:
                continue
            with open(claimed, "rb") as file:
                payload = file.read()
            os.remove(claimed)
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
