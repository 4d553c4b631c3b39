"""The Flask app of seed 003 (flaskr)."""
from flask import Flask, request

application = Flask(__name__)


@application.route("/")
def hello():
    return "<h1 style='color:blue'>Hello There!</h1>"


@application.route("/echo", methods=["POST"])
def echo():
    return request.get_data()
