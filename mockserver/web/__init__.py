"""The HTTP layer: the Flask app factory, the blueprints and what the views share."""
