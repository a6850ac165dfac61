"""chainboard: the industrial-chain chief system workbench.

This package is the project: settings, root URLs and the small framework layer (base models,
audit, scope, actions, generic views) that every domain app builds on. It imports no domain app.
"""
