import venvonly_pkg


def application(environ, start_response):
    start_response("200 OK", [])
    return [venvonly_pkg.MARKER.encode()]
