"""Pure ASGI CORS middleware, over the corecors decision core."""
