"""Peers in the same run: other Django outbox libraries driven as the bus is (``make bench PEERS=1``).

Each peer runs in a throwaway virtual environment (``var/bench/peers-venv``, from
``requirements.txt`` here) on a database of its own, with the bench's broker, a worker of two
prefork processes, the same no-op task and the same start stamps. The modules ``settings``,
``app``, ``tasks`` and ``publisher`` run inside that environment and import nothing of the
project; ``setups``, ``environment``, ``processes`` and ``measure`` run in the bench's process.
"""
