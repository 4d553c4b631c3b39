# (e): a streamed response: a generator yielding 8 chunks of 16 bytes (128 in all) and no
# Content-Length, so each server picks its own framing (chunked or close-delimited).
CHUNKS = [b'chunk %d of 8 ..\n' % i for i in range(8)]


def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    for chunk in CHUNKS:
        yield chunk
