def application(environ, start_response):
    raise RuntimeError("boom from the app")
