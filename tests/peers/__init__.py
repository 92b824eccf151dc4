"""Independent test peers: servers written from the documents alone, that misbehave on purpose.

They share no code with the kiosk or the reference backend, so a test that passes against
them proves the client follows the document, not our own reading of it.
"""
