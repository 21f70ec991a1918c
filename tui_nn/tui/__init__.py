"""The Textual dashboard (a front end: only this package, the CLI and ``__main__`` import Textual).

``tui_nn.tui.app.create_app(trainer)`` builds it; ``tui-nn train`` runs it with
:func:`run_dashboard`.
"""


def run_dashboard(trainer, **options):
    """Run ``create_app(trainer, **options)`` until it ends, and return it.

    The cyclic garbage collector is off while Textual is imported and the dashboard draws its
    first frame (the app turns it back on once its trainer has started): start-up makes hundreds
    of thousands of objects and frees almost none, and the collector's passes over them cost
    50-70 ms of a 0.7 s first frame (``benchmarks/README.md``, start-up). The trainer's child
    process is started first, so that it starts alongside (``startup.start_session_early``).
    """
    import gc

    from .startup import start_session_early

    gc.disable()
    session = start_session_early(trainer, **options)  # its child starts while Textual is imported
    try:
        from .app import create_app  # Textual and plotext: ~0.3 s

        app = create_app(trainer, session=session, **options)
        app.run()
        return app
    finally:
        gc.enable()
        if session is not None and not session.on_events.attached:  # the app never took it
            session.stop()
