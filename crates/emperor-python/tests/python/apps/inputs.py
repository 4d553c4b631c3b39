def application(environ, start_response):
    inp = environ["wsgi.input"]
    first = inp.readline()
    second = inp.readline(3)
    rest = [line for line in inp]
    after = inp.read()
    inp.seek(0)
    head = inp.read(4)
    tell = inp.tell()
    again = inp.readlines()
    inp.seek(0)
    hinted = inp.readlines(1)
    inp.close()
    out = repr((first, second, rest, after, head, tell, again, hinted)).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [out]
