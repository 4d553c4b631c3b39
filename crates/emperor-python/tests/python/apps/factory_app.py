def create_app():
    def app(environ, start_response):
        start_response("200 OK", [("X-App", "factory")])
        return [b"factory"]

    return app
