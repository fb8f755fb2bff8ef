"""The witness (issue 13, must-have 3): a second party that cosigns the audit log's
checkpoints only when each consistently extends the last one it cosigned, over the C2SP
tlog-witness protocol (``c2sp.org/tlog-witness``).

It runs as its own process (``qorgau witness run``) with its own key and its own SQLite
file in its own directory, and needs nothing of the operator's: no ``QORGAU_HOME``, no
database, no keys. ``state`` is that storage, ``service`` the protocol, ``server`` its
HTTP face, ``client`` what the log uses to ask for cosignatures, ``cli`` the commands.
"""
