"""The sans-IO DAP core: generated types, converter, framing codec and message endpoint (no asyncio).

Import from the modules themselves (`protocol.codec`, `protocol.endpoint`, ...): this package imports
nothing, so the adapter can frame its first answer with the codec alone (`dapattach.greeting`).
"""
