# A `.wsgi` file: executed as a module named after its path, as uWSGI does.
def application(environ, start_response):
    start_response("200 OK", [("X-Module-Name", __name__)])
    return [b"from-file"]
