"""Error answers in the caller's language: an HTML page for a browser (Accept prefers text/html),
the API's JSON envelope for everyone else and always under /api/ (a script that sends a browser's
Accept still gets JSON it can parse)."""
from flask import jsonify, render_template, request


def wants_html():
    if request.path.startswith("/api/") or request.path == "/metrics":
        return False
    # */* alone (curl, requests) picks the first offer: JSON
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def error_response(status, message):
    if wants_html():
        response = render_template("error.html", status=status, message=message)
        return response, status, {"Content-Type": "text/html; charset=utf-8"}
    response = jsonify({"ok": False, "error": message, "status": status})
    response.status_code = status
    return response
