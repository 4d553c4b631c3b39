"""Runs a single-process C WSGI server on an app for bench/run's per-core scenarios.

usage: peer.py fastwsgi|bjoern MODULE PORT   (from the app's directory)
"""
import importlib
import sys


def main():
    server, module, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, '.')
    app = importlib.import_module(module).application
    if server == 'fastwsgi':
        import fastwsgi
        fastwsgi.run(wsgi_app=app, host='127.0.0.1', port=port)
    elif server == 'bjoern':
        import bjoern
        bjoern.run(app, '127.0.0.1', port)
    else:
        sys.exit('unknown server %r' % server)


main()
