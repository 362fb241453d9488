"""The transport seam: everything that touches ``requests``, ``urllib3`` or ``aiohttp`` lives here.

:mod:`.base` is the transport-neutral interface the core, the response
wrappers, the streams and the pages use; :mod:`.requests` and
:mod:`.aiohttp` implement it. Nothing outside this package imports those
libraries (the fake server and the CLI excepted, for ``aiohttp.web``).
"""
