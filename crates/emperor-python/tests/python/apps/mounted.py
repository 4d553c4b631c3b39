def app(environ, start_response):
    start_response(
        "200 OK",
        [
            ("X-Script-Name", environ.get("SCRIPT_NAME", "<none>")),
            ("X-Path-Info", environ.get("PATH_INFO", "<none>")),
        ],
    )
    return [b"mounted"]
