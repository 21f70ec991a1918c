"""The Textual dashboard (a front end: only this package, the CLI and ``__main__`` import Textual).

``tui_nn.tui.app.create_app(trainer)`` builds it; ``tui-nn train`` runs it.
"""
