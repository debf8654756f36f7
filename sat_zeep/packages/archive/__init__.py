"""ZIP handling in one home: SAT's packages checked as they download and read back safely.

- ``directory``: the central directory, read in constant memory;
- ``walk``: the local headers walked as bytes arrive, each entry's data checked;
- ``stream_check``: ``ZipStreamCheck``, every entry's CRC-32 and sizes while a download streams;
- ``safe_reader``: ``SafeZip``, reading a package on disk within ``ZipLimits``;
- ``inflate``: raw-deflate and CRC-32, libdeflate when installed, else zlib.

The streaming check and the safe reader share ``directory`` and ``inflate``.
"""
