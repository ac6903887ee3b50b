"""CORS for aiohttp applications, over the corecors decision core."""
